"""Start the dashboard: `serve(host, port)` runs solara's server on viz/app.py, offline-ready.

It builds the local front-end asset folder (`viz.offline_assets`), turns off solara's telemetry
and version check, and binds to loopback unless told otherwise.

A session (its city, its play loop) ends when its tab closes: the browser sends solara's close
beacon and the session is closed at once. A page that vanishes without it (a crashed browser, a
laptop closed, the network gone) stops playing at once (`viz.player`), and its session is freed
after `disconnected_timeout` seconds unless it reconnects (solara's default keeps it 24 hours).

    python -m viz.server [--host 127.0.0.1] [--port 8765] [--disconnected-timeout 120]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

from viz.offline_assets import environment

APP = Path(__file__).with_name("app.py")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Long enough for a dropped classroom Wi-Fi to come back to the same session; short enough that
# sessions of browsers that went away without a word do not pile up (about 50 MB each).
DEFAULT_DISCONNECTED_TIMEOUT_S = 120


class ClosedTabRace(logging.Filter):
    """Drops solara's report of a message sent to a tab that has just closed.

    When a tab closes while its session is sending (a played day's redraw), the send meets the
    connection's stopped portal (`RuntimeError: This portal is not running`, not the
    `WebSocketDisconnect` solara expects). Solara then closes that websocket itself, and logs
    both steps as errors with two tracebacks, which look like a crash to whoever runs the
    server. Any other error still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, RuntimeError) and str(exc) == "This portal is not running")


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
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    results_root: str | Path = "results",
    disconnected_timeout: float = DEFAULT_DISCONNECTED_TIMEOUT_S,
) -> None:
    """Run the dashboard in this process until interrupted (Ctrl+C), at http://host:port/.

    The results page opens experiment folders inside `results_root` only. A session whose page
    went away without closing is freed after `disconnected_timeout` seconds.
    """
    if "solara.server.settings" in sys.modules:
        raise RuntimeError("serve() must run before solara's server settings are imported")
    os.environ.update(environment())  # read by solara's settings when they are imported below
    os.environ["SOLARA_KERNEL_CULL_TIMEOUT"] = f"{float(disconnected_timeout):g}s"
    os.environ["GOVSIM_RESULTS_ROOT"] = str(Path(results_root).expanduser().resolve())
    # Served over http on 127.0.0.1, solara warns at every new session (ten lines) that it falls
    # back to samesite=lax cookies: right for this server, and it buried real tracebacks.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    logging.getLogger("solara.server.kernel").addFilter(ClosedTabRace())
    from solara.__main__ import cli

    print(f"govsim dashboard: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    cli.main(args=solara_arguments(host, port), prog_name="solara")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m viz.server", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--results-root", default="results", help="folder of experiment results")
    parser.add_argument(
        "--disconnected-timeout",
        type=float,
        default=DEFAULT_DISCONNECTED_TIMEOUT_S,
        help="seconds a session whose page went away without closing is kept for it to come back",
    )
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.results_root, args.disconnected_timeout)


if __name__ == "__main__":
    main()
