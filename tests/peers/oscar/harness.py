"""Starting the OSCAR test server from a test, and its control channel.

    srv = OscarServerProc(tmpdir, accounts=[("alice", "pw"), ("123456789", "icq", True)]).start()
    srv.auth_port, srv.bos_port, srv.control_port
    srv.control("online")                    # -> {"ok": true, "online": [...]}
    srv.stop()                               # SIGTERM by PID, bounded wait, then SIGKILL

The server runs as `python3 -m tests.peers.oscar.server` from the repository root, on
127.0.0.1, with every port chosen by the OS (port 0) and reported in --ready-file.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import sys
import time
from pathlib import Path

from tests.integration.lib import procs

REPO = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"


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
        self.file.write(json.dumps(req).encode() + b"\n")
        self.file.flush()
        line = self.file.readline()
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


class OscarServerProc:
    def __init__(self, workdir, *, accounts=(), extra_args=(), name: str = "oscar-server",
                 python: str | None = None):
        self.workdir = Path(workdir)
        self.accounts = list(accounts)
        self.extra_args = list(extra_args)
        self.name = name
        self.python = python or os.environ.get("PASSERELLE_PYTHON") or sys.executable or "/usr/bin/python3"
        self.proc: procs.Proc | None = None
        self.ready_file = self.workdir / f"{name}.ready.json"
        self._control: Control | None = None

    def start(self, timeout: float = 10.0) -> "OscarServerProc":
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.ready_file.exists():
            self.ready_file.unlink()
        argv = [self.python, "-m", "tests.peers.oscar.server", "--host", HOST, "--port", "0", "--bos-port", "0",
                "--control-port", "0", "--ready-file", str(self.ready_file)]
        for a in self.accounts:
            sn, pw = a[0], a[1]
            argv += ["--account", f"{sn}:{pw}" + (":auth" if len(a) > 2 and a[2] else "")]
        argv += self.extra_args
        self.proc = procs.start(argv, log_dir=self.workdir, name=self.name, cwd=REPO)
        procs.wait_until(lambda: self.ready_file.exists() or self.proc.popen.poll() is not None, timeout,
                         message=lambda: self.proc.tail())
        if self.proc.popen.poll() is not None:
            raise RuntimeError(f"OSCAR server exited with {self.proc.popen.returncode}\n{self.proc.tail()}")
        ports = json.loads(self.ready_file.read_text())
        self.auth_port, self.bos_port, self.control_port = ports["auth_port"], ports["bos_port"], ports["control_port"]
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def control(self, cmd: str, **args) -> dict:
        if self._control is None:
            self._control = Control(self.control_port)
        return self._control(cmd, **args)

    def events(self, kind=None, since: int = 0, user: str | None = None) -> list[dict]:
        args = {"since": since}
        if kind:
            args["kind"] = kind
        if user:
            args["user"] = user
        return self.control("events", **args)["events"]

    def wait_event(self, kind: str, predicate=lambda e: True, timeout: float = 5.0, since: int = 0) -> dict:
        return procs.wait_until(lambda: next((e for e in self.events(kind, since) if predicate(e)), None),
                                timeout, message=f"no {kind} event")

    def running(self) -> bool:
        return self.proc is not None and self.proc.running()

    def log_text(self) -> str:
        return self.proc.stderr_path.read_text(errors="replace") if self.proc else ""

    def stop(self, timeout: float = 5.0) -> int | None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self.proc is None:
            return None
        return procs.stop(self.proc, timeout)


def wait_port_closed_or_open(port: int, want_open: bool, timeout: float = 5.0) -> None:
    def check():
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return want_open
        except OSError:
            return not want_open
    procs.wait_until(check, timeout, message=f"port {port} {'open' if want_open else 'closed'}")
    time.sleep(0)
