"""The server side of what the harness (common/harness.py) expects of a test server
process: once listening, announce the ready object (one JSON line on stdout, and the same
object written atomically to --ready-file), then run until SIGTERM or SIGINT (or the
control channel's `shutdown`) has stopped the server."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys


def setup_logging(level: str) -> None:
    """Log lines on stderr (the harness keeps them in <name>.stderr.log)."""
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def announce_ready(ready: dict, ready_file: str | None) -> None:
    if ready_file:
        tmp = ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(ready, f)
        os.replace(tmp, ready_file)
    print(json.dumps(ready), flush=True)


async def run_until_stopped(server, ready: dict, ready_file: str | None) -> None:
    """Announces `ready`, then waits for `server.stopped` (an asyncio.Event) to be set;
    SIGTERM and SIGINT call `server.shutdown()`, which sets it."""
    announce_ready(ready, ready_file)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.shutdown()))
    await server.stopped.wait()
    await asyncio.sleep(0.05)
