"""The AIM/ICQ side of the integration tests: the in-tree OSCAR test server
(tests/peers/oscar, started by its harness) and AIM/ICQ users driven by its asyncio
client from a private event loop thread, so that unittest code can stay synchronous.

    srv = OscarServerProc(tmpdir, accounts=[("alicesn", "pw"), ("bobsn", "pw")]).start()
    bob = OscarUser(srv, "bobsn", "pw").login()
    bob.run(bob.client.send_im("alicesn", "hello"))
    bob.stop()
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable

from tests.peers.oscar.client import OscarClient, SnacError  # noqa: F401  (re-exported)
from tests.peers.oscar.harness import OscarServerProc  # noqa: F401


class OscarUser:
    def __init__(self, server: "OscarServerProc", screen_name: str, password: str, **kw):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"oscar-{screen_name}",
                                       daemon=True)
        self.thread.start()
        self.client = self.run(self._make(screen_name, password, server.auth_port, kw))

    @staticmethod
    async def _make(sn, pw, port, kw):
        return OscarClient(sn, pw, "127.0.0.1", port, **kw)

    def run(self, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def login(self) -> "OscarUser":
        self.run(self.client.login())
        return self

    def stop(self) -> None:
        """Signs off and ends the loop thread; a second call does nothing."""
        if self.loop.is_closed():
            return
        try:
            self.run(self.client.close(), 5)
        except Exception:  # noqa: BLE001
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()
