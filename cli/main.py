"""The `govsim` entry point: bad input of any kind is one line on stderr and exit status 2,
never a traceback.

The commonest mistake, a preset name that does not exist, is answered before the command line
library is even imported (it builds every command's parser when it starts); everything else goes
to the commands in `cli.commands`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from world.errors import InputError

# Options that take a value (so their value is not the preset or the experiment file).
_VALUED = (
    "--days",
    "--seed",
    "--set",
    "--out",
    "--workers",
    "--scheduler",
    "--max-runs",
    "--method",
    "--reference",
)


def main(argv: list[str] | None = None) -> None:
    """Entry point of `govsim`."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        check_presets_early(args)
    except InputError as exc:
        _fail(str(exc))
    from cli.commands import UserError, app

    try:
        code = app(args=args, standalone_mode=False, prog_name="govsim")
    except (UserError, InputError) as exc:
        _fail(str(exc))
    except OSError as exc:  # the file system refused (a name too long, a full disk): one line
        where = f": {exc.filename}" if exc.filename else ""
        _fail(f"{exc.strerror or type(exc).__name__}{where}")
    except KeyboardInterrupt:
        _interrupted(args)
    except Exception as exc:
        if type(exc).__name__ == "Abort":  # Ctrl+C at a prompt
            _interrupted(args)
        # Usage errors (bad option, missing argument, wrong type) carry format_message.
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            _fail(exc.format_message())
        if os.environ.get("GOVSIM_DEBUG"):
            raise
        # Not foreseen: still one line (the traceback with GOVSIM_DEBUG=1), and status 1.
        line = " ".join(f"{type(exc).__name__}: {exc}".split())
        sys.stderr.write(
            f"govsim: error: unexpected {line} (set GOVSIM_DEBUG=1 for the traceback)\n"
        )
        raise SystemExit(1) from None
    if code == INTERRUPTED:  # typer turns Ctrl+C in a command into this exit code
        _interrupted(args)
    if isinstance(code, int) and code:
        raise SystemExit(code)


INTERRUPTED = 130  # 128 + SIGINT, as shells report it
# Commands whose finished work is stored as it finishes: run again, they go on from there.
RESUMABLE = (("calibrate",), ("optimise",), ("experiment", "run"))


def _interrupted(args: list[str]) -> None:
    words = [a for a in args if not a.startswith("-")]
    resumable = any(words[: len(r)] == list(r) for r in RESUMABLE)
    hint = "; what finished is stored: the same command goes on from there" if resumable else ""
    sys.stderr.write(f"govsim: interrupted{hint}\n")
    raise SystemExit(INTERRUPTED) from None


def check_presets_early(args: list[str]) -> None:
    """`govsim run NAME` / `govsim compare NAME...`: an unknown preset is an InputError now;
    `govsim experiment run|sensitivity FILE` and `govsim validate --facts FILE`: so is a
    missing experiment or facts file."""
    if "--help" in args:
        return
    if args[:1] == ["validate"]:
        facts = _option_value(args, "--facts")
        if facts is not None and not Path(facts).is_file():
            raise InputError(f"{facts}: no such facts file")
        return
    if args[:2] in (["experiment", "run"], ["experiment", "sensitivity"]):
        files = _positional(args[2:])
        if files and not Path(files[0]).is_file():
            raise InputError(f"{files[0]}: no such experiment file")
        return
    if not args or args[0] not in ("run", "compare"):
        return
    from scenarios.paths import preset_path

    names = _positional(args[1:])
    for name in names if args[0] == "compare" else names[:1]:
        preset_path(name)


def _positional(args: list[str]) -> list[str]:
    """The arguments that are not options or option values."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in _VALUED
        else:
            out.append(arg)
    return out


def _option_value(args: list[str], option: str) -> str | None:
    """The value given to `option` (`--opt VALUE` or `--opt=VALUE`; the last one wins)."""
    value = None
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(option + "="):
            value = arg.split("=", 1)[1]
    return value


def _fail(message: str) -> None:
    line = " ".join(message.split())  # one line, whatever the message held
    sys.stderr.write(f"govsim: error: {line}\n")
    raise SystemExit(2)


if __name__ == "__main__":
    main()
