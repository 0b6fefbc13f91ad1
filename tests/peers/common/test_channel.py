"""Self-tests of the shared control channel (both ends) and event log, against a toy
server on a private asyncio loop thread. python3 -m unittest tests.peers.common.test_channel"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import unittest

from tests.peers.common import channel
from tests.peers.common.channel import Control, ControlError
from tests.peers.common.eventlog import EventLog


class ToyServer:
    """`echo` returns its arguments, `boom` raises, `shutdown` succeeds unless `refuse`."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="toy-control", daemon=True)
        self.thread.start()
        self.tasks: set[asyncio.Task] = set()
        self.shutdowns = 0
        self.server = self.run(asyncio.start_server(self._client, channel.HOST, 0))
        self.port = self.server.sockets[0].getsockname()[1]

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    async def _client(self, reader, writer):
        await channel.serve(reader, writer, self.handle, shutdown=self.shutdown, tasks=self.tasks)

    async def handle(self, req: dict) -> dict:
        cmd = req.get("cmd")
        if cmd == "echo":
            return {"args": {k: v for k, v in req.items() if k not in ("cmd", "id")}}
        if cmd == "boom":
            raise KeyError("nothing here")
        if cmd == "shutdown":
            if req.get("refuse"):
                raise ValueError("not now")
            return {}
        raise ValueError(f"unknown command {cmd!r}")

    async def shutdown(self) -> None:
        self.shutdowns += 1

    async def task_count(self) -> int:
        return len(self.tasks)

    async def _close_server(self):
        self.server.close()  # on the loop's own thread: asyncio objects are not thread-safe
        await self.server.wait_closed()

    def close(self):
        self.run(self._close_server())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class ControlChannelTest(unittest.TestCase):
    def setUp(self):
        self.srv = ToyServer()
        self.addCleanup(self.srv.close)

    def raw(self):
        s = socket.create_connection((channel.HOST, self.srv.port), timeout=5)
        self.addCleanup(s.close)
        return s, s.makefile("rwb")

    def test_reply_carries_ok_fields_and_id(self):
        ctl = Control(self.srv.port)
        self.addCleanup(ctl.close)
        self.assertEqual(ctl("echo", a=1, name="Zoë"), {"ok": True, "args": {"a": 1, "name": "Zoë"}, "id": 1})
        self.assertEqual(ctl("echo")["id"], 2)

    def test_errors_are_answered_and_raised(self):
        ctl = Control(self.srv.port)
        self.addCleanup(ctl.close)
        with self.assertRaisesRegex(ControlError, r"^nope: ValueError: unknown command 'nope'$"):
            ctl("nope")
        with self.assertRaisesRegex(ControlError, r"^boom: KeyError: 'nothing here'$"):
            ctl("boom")
        self.assertTrue(ctl("echo")["ok"])     # the connection survives errors

    def test_wire_format(self):
        _, f = self.raw()
        f.write(b'\n  \n[1, 2]\n{not json\n{"cmd": "echo", "x": "\xc3\xa9"}\n{"id": "a", "cmd": "echo"}\n')
        f.flush()
        replies = [f.readline() for _ in range(4)]
        self.assertEqual(json.loads(replies[0]), {"ok": False, "error": "ValueError: a request is a JSON object"})
        self.assertTrue(json.loads(replies[1])["error"].startswith("JSONDecodeError: "))
        self.assertEqual(replies[2], '{"ok": true, "args": {"x": "é"}}\n'.encode())   # no id, not ASCII-escaped
        self.assertEqual(json.loads(replies[3]), {"ok": True, "args": {}, "id": "a"})

    def test_shutdown_after_reply_then_close(self):
        ctl = Control(self.srv.port)
        self.addCleanup(ctl.close)
        with self.assertRaises(ControlError):
            ctl("shutdown", refuse=True)            # a failed shutdown does not shut down
        self.assertEqual(self.srv.shutdowns, 0)
        self.assertEqual(ctl("shutdown"), {"ok": True, "id": 2})
        with self.assertRaisesRegex(ControlError, "control channel closed during echo"):
            ctl("echo")
        self.assertEqual(self.srv.shutdowns, 1)

    def test_connection_task_is_tracked_while_open(self):
        s, f = self.raw()
        f.write(b'{"cmd": "echo"}\n')
        f.flush()
        f.readline()
        self.assertEqual(self.srv.run(self.srv.task_count()), 1)
        f.close()
        s.close()
        for _ in range(100):
            if self.srv.run(self.srv.task_count()) == 0:
                break
            threading.Event().wait(0.02)
        self.assertEqual(self.srv.run(self.srv.task_count()), 0)


class EventLogTest(unittest.TestCase):
    def test_add_select_and_bound(self):
        log = EventLog(logging.getLogger("eventlog-test"), keep=3)
        first = log.add("login", user="a")
        self.assertEqual((first["seq"], first["kind"], first["user"]), (1, "login", "a"))
        self.assertIsInstance(first["t"], float)
        log.add("im", user="b")
        log.add("logout", user="a")
        log.add("im", user="a")
        self.assertEqual(log.seq, 4)
        self.assertEqual([e["seq"] for e in log], [2, 3, 4])        # the oldest dropped, seq goes on
        self.assertEqual([e["seq"] for e in log.select(kind="im")], [2, 4])
        self.assertEqual([e["seq"] for e in log.select(2, ["im", "logout"])], [3, 4])
        self.assertEqual([e["seq"] for e in log.select(match=lambda e: e["user"] == "a")], [3, 4])
        self.assertEqual(log.select(4), [])


if __name__ == "__main__":
    unittest.main()
