"""``python -m demo_portal --port 8765``: serve the demo portal until interrupted.

The base URL is printed alone on the first stdout line and flushed immediately, so a
script can start the server in the background and read that line to know it is ready.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from demo_portal.content import build_portal
from demo_portal.server import start_server, stop_server


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo_portal", description="Serve the offline demo news portal."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one")
    parser.add_argument("--articles-per-section", type=int, default=18)
    parser.add_argument("--page-size", type=int, default=8)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    portal = build_portal(arguments.articles_per_section, arguments.page_size)
    try:
        server, base_url = start_server(
            arguments.host, arguments.port, portal=portal, log_requests=arguments.verbose
        )
    except OSError as exc:
        print(
            f"error: cannot serve the demo portal on {arguments.host}:{arguments.port}: "
            f"{exc.strerror or exc} (choose another port with --port or DEMO_PORT)",
            file=sys.stderr,
        )
        return 1
    print(base_url, flush=True)
    stop_requested = threading.Event()

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        stop_requested.set()

    # SIGTERM (kill, Popen.terminate) and SIGINT both stop cleanly.  SIGINT is handled
    # explicitly because shells start background jobs with it ignored, and then Python
    # never raises KeyboardInterrupt.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        while not stop_requested.wait(timeout=0.5):
            pass
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
