"""The JSON-lines control channel of the test servers, both ends.

Wire format: one JSON object per line each way, in order. A request has `cmd` and may
carry `id`, echoed in the reply. A reply is `{"ok": true, ...the command's fields}` or
`{"ok": false, "error": "<ExceptionType>: <message>"}`; a line that is not a JSON object
gets an error reply too, and blank lines are skipped. After answering a successful
`shutdown` the server shuts down and closes the connection.

Server side (asyncio):

    async def _control_client(self, reader, writer):
        await channel.serve(reader, writer, self.control, shutdown=self.shutdown, tasks=self.conn_tasks)

Client side (blocking, for tests):

    ctl = Control(port)
    ctl("ping")          # -> {"ok": True, "id": 1, ...}; raises ControlError when "ok" is false
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from typing import Awaitable, Callable

HOST = "127.0.0.1"


# ---------------------------------------------------------------------------------
# Server side

async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                handle: Callable[[dict], Awaitable[dict]], *, shutdown: Callable[[], Awaitable[None]],
                tasks: set[asyncio.Task] | None = None) -> None:
    """Answers one control connection until the peer closes it, a read fails, or a
    `shutdown` command succeeds (then `await shutdown()` runs after its reply is sent).
    `handle(request)` returns the reply's fields; whatever it raises becomes an error
    reply. The connection's task is kept in `tasks` while it runs (so that the server can
    cancel it); a cancellation ends it quietly. The writer is closed on the way out."""
    task = asyncio.current_task()
    if tasks is not None:
        tasks.add(task)
    try:
        while True:
            try:
                line = await reader.readline()
            except (ConnectionError, ValueError):
                break
            if not line:
                break
            if not line.strip():
                continue
            req: dict = {}
            try:
                parsed = json.loads(line)
                if not isinstance(parsed, dict):
                    raise ValueError("a request is a JSON object")
                req = parsed
                reply = {"ok": True, **(await handle(req))}
            except Exception as e:  # noqa: BLE001 - reported to the caller
                reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            if "id" in req:
                reply["id"] = req["id"]
            writer.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
            await writer.drain()
            if req.get("cmd") == "shutdown" and reply.get("ok"):
                await shutdown()
                break
    except asyncio.CancelledError:
        pass
    finally:
        if tasks is not None:
            tasks.discard(task)
        writer.close()


# ---------------------------------------------------------------------------------
# Client side

class ControlError(RuntimeError):
    pass


class Control:
    """A blocking JSON-lines control connection."""

    def __init__(self, port: int, host: str = HOST, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rwb")
        self.ids = itertools.count(1)

    def __call__(self, cmd: str, **args) -> dict:
        req = {"id": next(self.ids), "cmd": cmd, **args}
        try:
            self.file.write(json.dumps(req).encode() + b"\n")
            self.file.flush()
            line = self.file.readline()
        except (ConnectionResetError, BrokenPipeError):
            line = b""  # the server closed first (after a shutdown, say): the same as EOF
        if not line:
            raise ControlError(f"control channel closed during {cmd}")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise ControlError(f"{cmd}: {reply.get('error')}")
        return reply

    def close(self) -> None:
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass
