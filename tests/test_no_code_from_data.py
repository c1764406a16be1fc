"""Nothing a scenario, an experiment file, a manifest or a result folder contains is ever run as
code or unpickled: the source uses no eval, exec, compile or dynamic import of a name it was
given, and no pickle-like loader (pickle, marshal, shelve, dill, cloudpickle, yaml.load,
pandas.read_pickle, numpy's allow_pickle). TOML, JSON and Parquet are read as data only.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("world", "agents", "model", "scenarios", "experiments", "viz", "cli")
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "yaml"}
FORBIDDEN_ATTRIBUTES = {"read_pickle", "to_pickle"}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            module = getattr(node, "module", None)
            for name in [module or "", *names]:
                if name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{where}: imports {name}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if isinstance(func, ast.Name) and name in FORBIDDEN_CALLS:
                found.append(f"{where}: calls {name}()")
            if name in FORBIDDEN_ATTRIBUTES:
                found.append(f"{where}: calls {name}()")
            if name == "import_module" and not all(isinstance(a, ast.Constant) for a in node.args):
                found.append(f"{where}: imports a module named at run time")
            for kw in node.keywords:
                if kw.arg == "allow_pickle" and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is False
                ):
                    found.append(f"{where}: allow_pickle")
    return found


def test_no_data_is_ever_executed_or_unpickled() -> None:
    problems = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            problems += _problems(path)
    assert not problems, "\n".join(problems)


def test_the_check_sees_each_kind(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text(
        "import pickle\nfrom yaml import load\neval('1')\nimport pandas as pd\n"
        "pd.read_pickle('x')\nimport numpy as np\nnp.load('x', allow_pickle=True)\n"
        "from importlib import import_module\nimport_module(name)\n"
    )
    found = [p.split(": ", 1)[1] for p in _problems_at(source)]
    assert found == [
        "imports pickle",
        "imports yaml",
        "calls eval()",
        "calls read_pickle()",
        "allow_pickle",
        "imports a module named at run time",
    ]


def _problems_at(path: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, path.parent
    try:
        return _problems(path)
    finally:
        ROOT = saved
