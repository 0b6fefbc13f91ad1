"""Starting the OSCAR test server from a test, and its control channel.

    srv = OscarServerProc(tmpdir, accounts=[("alice", "pw"), ("123456789", "icq", True)]).start()
    srv.auth_port, srv.bos_port, srv.control_port
    srv.control("online")                    # -> {"ok": true, "online": [...]}
    srv.stop()                               # SIGTERM by PID, bounded wait, then SIGKILL

The server runs as `python3 -m tests.peers.oscar.server` from the repository root, on
127.0.0.1, with every port chosen by the OS (port 0) and reported in --ready-file.
"""

from __future__ import annotations

import socket
import time

from tests.integration.lib import procs
from tests.peers.common.channel import HOST, Control, ControlError  # noqa: F401  (re-exported)
from tests.peers.common.harness import REPO, ServerProc  # noqa: F401


class OscarServerProc(ServerProc):
    label = "OSCAR server"
    control_timeout = 10.0

    def __init__(self, workdir, *, accounts=(), extra_args=(), name: str = "oscar-server",
                 python: str | None = None):
        super().__init__(workdir, name=name, python=python)
        self.accounts = list(accounts)
        self.extra_args = list(extra_args)

    def command(self) -> list[str]:
        argv = [self.python, "-m", "tests.peers.oscar.server", "--host", HOST, "--port", "0", "--bos-port", "0",
                "--control-port", "0", "--ready-file", str(self.ready_file)]
        for a in self.accounts:
            sn, pw = a[0], a[1]
            argv += ["--account", f"{sn}:{pw}" + (":auth" if len(a) > 2 and a[2] else "")]
        return argv + self.extra_args

    def started(self) -> None:
        self.auth_port, self.bos_port = self.info["auth_port"], self.info["bos_port"]

    def events(self, kind=None, since: int = 0, user: str | None = None) -> list[dict]:
        return super().events(kind, since, **({"user": user} if user else {}))


def wait_port_closed_or_open(port: int, want_open: bool, timeout: float = 5.0) -> None:
    def check():
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return want_open
        except OSError:
            return not want_open
    procs.wait_until(check, timeout, message=f"port {port} {'open' if want_open else 'closed'}")
    time.sleep(0)
