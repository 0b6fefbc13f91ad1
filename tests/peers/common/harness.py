"""The base of the test servers' harnesses: start the server as a subprocess from the
repository root (through tests/integration/lib/procs.py, so it is recorded by PID and
never outlives the tests), wait for its --ready-file, talk to its control channel, stop
it by PID (SIGTERM, bounded wait, SIGKILL).

A subclass sets `label` and `control_timeout`, and gives `command()`: the server's
command line (it may first write files the server reads, such as a configuration);
`started()` then reads what it needs from `self.info` (the ready file's object).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.integration.lib import procs
from tests.peers.common.channel import Control

REPO = Path(__file__).resolve().parents[3]


class ServerProc:
    label = "test server"          # for the error raised when the server exits at start
    control_timeout = 10.0          # the control connection's socket timeout

    def __init__(self, workdir, *, name: str, python: str | None = None):
        self.workdir = Path(workdir)
        self.name = name
        self.python = python or os.environ.get("PASSERELLE_PYTHON") or sys.executable or "/usr/bin/python3"
        self.proc: procs.Proc | None = None
        self.ready_file = self.workdir / f"{name}.ready.json"
        self._control: Control | None = None
        self.info: dict = {}

    def command(self) -> list[str]:
        raise NotImplementedError

    def started(self) -> None:
        pass

    def start(self, timeout: float = 10.0):
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.ready_file.exists():
            self.ready_file.unlink()
        argv = self.command()
        self.proc = procs.start(argv, log_dir=self.workdir, name=self.name, cwd=REPO)
        procs.wait_until(lambda: self.ready_file.exists() or self.proc.popen.poll() is not None, timeout,
                         message=lambda: self.proc.tail())
        if self.proc.popen.poll() is not None:
            raise RuntimeError(f"{self.label} exited with {self.proc.popen.returncode}\n{self.proc.tail()}")
        self.info = json.loads(self.ready_file.read_text())
        self.control_port = self.info["control_port"]
        self.started()
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def control(self, cmd: str, **args) -> dict:
        if self._control is None:
            self._control = Control(self.control_port, timeout=self.control_timeout)
        return self._control(cmd, **args)

    def events(self, kind=None, since: int = 0, **filters) -> list[dict]:
        """The `events` command's events; `filters` are the server's own (see its README)."""
        args = {"since": since, **filters}
        if kind:
            args["kind"] = kind
        return self.control("events", **args)["events"]

    def no_event_message(self, kind: str, since: int) -> str:
        return f"no {kind} event"

    def wait_event(self, kind: str, predicate=lambda e: True, timeout: float = 5.0, since: int = 0) -> dict:
        return procs.wait_until(lambda: next((e for e in self.events(kind, since) if predicate(e)), None),
                                timeout, message=lambda: self.no_event_message(kind, since))

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
