"""Starts the MSNP test server as a subprocess on 127.0.0.1 (all ports 0), reads the
ports it chose from its --ready-file, talks to its control channel, and stops it by
PID (SIGTERM, bounded wait, SIGKILL).

    srv = MsnServer(extra_args=["--versions", "MSNP12,MSNP8"]).start()
    srv.control("add_account", email="t1e@example.com", password="123456", name="T1e")
    srv.ns_port, srv.login_port, srv.sb_port
    srv.stop()
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


class MsnServer:
    def __init__(self, extra_args: list[str] | tuple[str, ...] = (), workdir: str | None = None,
                 log_level: str = "INFO"):
        self.extra_args = list(extra_args)
        # A directory made here is removed by stop() (PASSERELLE_KEEP_TMP=1 keeps it).
        self.own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="msn-test-server-"))
        self.log_level = log_level
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}
        self._ctl: socket.socket | None = None
        self._ctl_file = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def __getattr__(self, name: str):
        if name.endswith("_port") and name in self.__dict__.get("info", {}):
            return self.info[name]
        raise AttributeError(name)

    def start(self, timeout: float = 10.0) -> "MsnServer":
        ready = self.workdir / "ready.json"
        if ready.exists():
            ready.unlink()
        self.stderr_path = self.workdir / "server.stderr.log"
        argv = [sys.executable, "-m", "tests.peers.msn.server", "--port", "0", "--ready-file", str(ready),
                "--log-level", self.log_level, *self.extra_args]
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(argv, cwd=str(REPO), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                tail = self.tail()
                self.stop()
                raise RuntimeError(f"server not ready after {timeout} s:\n{tail}")
            time.sleep(0.02)
        self.info = json.loads(ready.read_text())
        return self

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def control(self, cmd: str, timeout: float = 10.0, **fields) -> dict:
        if self._ctl is None:
            self._ctl = socket.create_connection(("127.0.0.1", self.info["control_port"]), timeout=timeout)
            self._ctl_file = self._ctl.makefile("rb")
        self._ctl.settimeout(timeout)
        self._ctl.sendall((json.dumps({"cmd": cmd, **fields}) + "\n").encode())
        line = self._ctl_file.readline()
        if not line:
            self._close_ctl()
            raise ConnectionError("control channel closed")
        return json.loads(line)

    def check(self, cmd: str, **fields) -> dict:
        r = self.control(cmd, **fields)
        if not r.get("ok"):
            raise RuntimeError(f"control {cmd} failed: {r}")
        return r

    def add_account(self, email: str, password: str = "123456", name: str | None = None) -> dict:
        return self.check("add_account", email=email, password=password, name=name or email.split("@")[0])

    def routed(self, since: int = 0, kinds: list[str] | None = None) -> list[dict]:
        return self.check("routed", since=since, kinds=kinds)["events"]

    def _close_ctl(self) -> None:
        for f in (self._ctl_file, self._ctl):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass
        self._ctl = self._ctl_file = None

    def stop(self, timeout: float = 5.0) -> int | None:
        try:
            return self._stop(timeout)
        finally:
            if self.own_workdir and not os.environ.get("PASSERELLE_KEEP_TMP"):
                shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop(self, timeout: float) -> int | None:
        self._close_ctl()
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                try:
                    return self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    return None
        return self.proc.returncode

    def __enter__(self) -> "MsnServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
