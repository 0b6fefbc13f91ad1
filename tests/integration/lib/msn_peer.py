"""The MSN side of the integration tests: the in-tree MSNP test server
(tests/peers/msn, started by its harness) and MSN contacts driven by its asyncio client
from a private event loop thread, so that unittest code can stay synchronous.

    srv = MsnServer(extra_args=["--versions", "MSNP12,MSNP8"]).start()
    bob = MsnContact(srv, "t2e@example.com")   # login_ssl=<ssl.SSLContext> for an HTTPS login port
    bob.login()                                  # login + SYN + CHG NLN
    sb = bob.run(bob.client.open_switchboard("t1e@example.com"))
    bob.run(sb.send_text("hello"))
    bob.stop()
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable

from tests.peers.msn.client import MsnClient  # noqa: F401  (re-exported for tests)
from tests.peers.msn.harness import MsnServer  # noqa: F401


class MsnContact:
    def __init__(self, server: "MsnServer", email: str, password: str = "123456",
                 versions: list[str] | None = None, login_ssl=None):
        self.email = email
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"msn-{email}", daemon=True)
        self.thread.start()
        self.client = MsnClient(email, password, ns_port=server.ns_port, login_port=server.login_port,
                                versions=versions or ["MSNP12", "MSNP11", "MSNP10", "MSNP9", "MSNP8"],
                                login_ssl=login_ssl)

    def run(self, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def login(self, status: str = "NLN") -> "MsnContact":
        async def go():
            await self.client.login()
            await self.client.sync()
            await self.client.set_status(status)
        self.run(go())
        return self

    def stop(self) -> None:
        async def close():
            self.client.close()
        try:
            self.run(close(), 5)
        except Exception:  # noqa: BLE001
            pass
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()
