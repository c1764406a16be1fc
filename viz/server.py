"""Start the dashboard: `serve(host, port)` runs solara's server on viz/app.py, offline-ready.

It builds the local front-end asset folder (`viz.offline_assets`), turns off solara's telemetry
and version check, and binds to loopback unless told otherwise.

    python -m viz.server [--host 127.0.0.1] [--port 8765]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from viz.offline_assets import environment

APP = Path(__file__).with_name("app.py")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def solara_arguments(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The `solara run` arguments that serve the dashboard."""
    return [
        "run",
        str(APP),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, results_root: str | Path = "results"
) -> None:
    """Run the dashboard in this process until interrupted (Ctrl+C), at http://host:port/.

    The results page opens experiment folders inside `results_root` only.
    """
    if "solara.server.settings" in sys.modules:
        raise RuntimeError("serve() must run before solara's server settings are imported")
    os.environ.update(environment())  # read by solara's settings when they are imported below
    os.environ["GOVSIM_RESULTS_ROOT"] = str(Path(results_root).expanduser().resolve())
    from solara.__main__ import cli

    print(f"govsim dashboard: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    cli.main(args=solara_arguments(host, port), prog_name="solara")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m viz.server", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--results-root", default="results", help="folder of experiment results")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.results_root)


if __name__ == "__main__":
    main()
