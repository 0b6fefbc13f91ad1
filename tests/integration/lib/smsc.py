"""The SMSC simulator (tests/peers/smsc/smsc.js, on the npm `smpp` package) as a
Python object: start it with options, talk to its stdin/stdout control interface,
stop it."""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from . import procs

REPO = Path(__file__).resolve().parents[3]
PEERS_DIR = REPO / "tests" / "peers"
SMSC_JS = PEERS_DIR / "smsc" / "smsc.js"
NPM_CI_TIMEOUT = 300.0

_npm_lock = threading.Lock()


def node_binary() -> str:
    node = os.environ.get("NODE") or shutil.which("node")
    if not node:
        raise RuntimeError("node not found (set NODE or install nodejs)")
    return node


def ensure_node_modules() -> None:
    """Runs `npm ci` in tests/peers when node_modules/smpp is missing."""
    with _npm_lock:
        if (PEERS_DIR / "node_modules" / "smpp" / "package.json").exists():
            return
        npm = shutil.which("npm")
        if not npm:
            raise RuntimeError(f"{PEERS_DIR}/node_modules is missing and npm is not installed")
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEERS_DIR,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=NPM_CI_TIMEOUT)
        if r.returncode != 0:
            raise RuntimeError(f"npm ci in {PEERS_DIR} failed:\n{r.stdout}\n{r.stderr}")


class SmscError(RuntimeError):
    pass


class Smsc:
    """One simulator process.

        smsc = Smsc(workdir, receipts=True, throttle_every=10).start()
        smsc.port                     # the port it listens on (127.0.0.1)
        smsc.mo("+33611111111", "+33700000001", "hello", split=3, order=[2, 1, 3])
        smsc.stats()["by_status"]     # {"0x0": 27, "0x58": 3}
        smsc.stop()                   # exit code

    Keyword options map to smsc.js flags (see its header): port, system_id, password,
    delay_ms, throttle_every, drop_after, drop_repeat, drop_mode, receipts,
    receipt_stat, receipt_err, receipt_delay_ms, redeliver_ms, id_format, keep,
    mo_timeout_ms, quiet. `log=True` (default) writes <workdir>/<name>.jsonl
    (`log_path`). `extra_args` are appended as they are.
    """

    def __init__(self, workdir: str | os.PathLike, *, name: str = "smsc", port: int = 0,
                 system_id: str | None = "passerelle", password: str | None = "secret",
                 log: bool = True, quiet: bool = False, extra_args: tuple[str, ...] = (),
                 **options: Any):
        self.workdir = Path(workdir)
        self.name = name
        self.requested_port = port
        self.system_id = system_id
        self.password = password
        self.log_path = self.workdir / f"{name}.jsonl" if log else None
        self.quiet = quiet
        self.options = options
        self.extra_args = tuple(extra_args)
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.proc: procs.Proc | None = None
        self._answers: queue.Queue = queue.Queue()
        self._ids = itertools.count(1)
        self._cmd_lock = threading.Lock()
        self._pending: dict[int, dict] = {}
        self._reader: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------

    def argv(self) -> list[str]:
        args = [node_binary(), str(SMSC_JS), "--port", str(self.requested_port), "--exit-on-eof"]
        if self.system_id is not None:
            args += ["--system-id", self.system_id]
        if self.password is not None:
            args += ["--password", self.password]
        if self.log_path is not None:
            args += ["--log", str(self.log_path)]
        if self.quiet:
            args.append("--quiet")
        for key, value in self.options.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                args.append(flag)
            elif value is False or value is None:
                continue
            else:
                args += [flag, str(value)]
        return args + list(self.extra_args)

    def start(self, timeout: float = 15.0) -> "Smsc":
        ensure_node_modules()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._answers = queue.Queue()
        self.proc = procs.start(self.argv(), log_dir=self.workdir, name=self.name,
                                stdin=subprocess.PIPE, pipe_stdout=True, cwd=PEERS_DIR)
        self._reader = threading.Thread(target=self._read_stdout, args=(self.proc,),
                                        name=f"{self.name}-stdout", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self._answers.get(timeout=max(0.01, min(0.2, deadline - time.monotonic())))
            except queue.Empty:
                msg = None
            if msg is not None and msg.get("event") == "listening":
                self.port = int(msg["port"])
                return self
            if msg is not None and msg.get("event") == "eof":
                raise SmscError(f"smsc.js exited with {self.proc.popen.wait(5)} before listening\n"
                                f"{self.proc.tail()}")
            if time.monotonic() >= deadline:
                self.stop()
                raise SmscError(f"smsc.js did not report a port within {timeout:g} s\n{self.proc.tail()}")

    def _read_stdout(self, proc: procs.Proc) -> None:
        """Reader thread: every stdout line is copied to <name>.stdout.log and, when it
        is a JSON object, queued for start()/command()."""
        stream = proc.popen.stdout
        with open(self.workdir / f"{self.name}.stdout.log", "ab", buffering=0) as copy:
            try:
                for raw in stream:
                    copy.write(raw)
                    try:
                        msg = json.loads(raw)
                    except ValueError:
                        continue
                    if isinstance(msg, dict):
                        self._answers.put(msg)
            except (OSError, ValueError):
                pass
        self._answers.put({"event": "eof"})

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (then SIGKILL); returns the exit code."""
        if self.proc is None:
            return None
        rc = procs.stop(self.proc, timeout)
        self._close_log()
        return rc

    def kill9(self) -> int | None:
        if self.proc is None:
            return None
        rc = procs.kill9(self.proc)
        self._close_log()
        return rc

    def _close_log(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)

    def running(self) -> bool:
        return self.proc is not None and self.proc.running()

    def __enter__(self) -> "Smsc":
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- control interface ---------------------------------------------------------

    def command(self, cmd: str, timeout: float = 10.0, **fields: Any) -> dict:
        """Sends {"cmd": cmd, **fields} and returns the answer (a dict with "ok").
        Raises SmscError if no answer comes within `timeout` s or the process is gone.
        Several threads may call this at once."""
        if self.proc is None or not self.proc.running():
            raise SmscError(f"smsc.js is not running\n{self.proc.tail() if self.proc else ''}")
        ident = next(self._ids)
        line = json.dumps({"cmd": cmd, "id": ident, **fields}) + "\n"
        with self._cmd_lock:
            try:
                self.proc.popen.stdin.write(line.encode())
                self.proc.popen.stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as e:
                raise SmscError(f"cannot write to smsc.js: {e}") from e
        deadline = time.monotonic() + timeout
        while True:
            with self._cmd_lock:
                if ident in self._pending:
                    return self._pending.pop(ident)
            try:
                msg = self._answers.get(timeout=max(0.0, min(0.1, deadline - time.monotonic())))
            except queue.Empty:
                msg = None
            if msg is not None:
                if msg.get("event") == "eof":
                    self._answers.put(msg)  # for other waiters
                    raise SmscError(f"smsc.js exited while waiting for {cmd}\n{self.proc.tail()}")
                if msg.get("id") == ident:
                    return msg
                if "id" in msg:
                    with self._cmd_lock:
                        self._pending[msg["id"]] = msg
            if time.monotonic() >= deadline:
                raise SmscError(f"no answer to {cmd} within {timeout:g} s")

    def check(self, cmd: str, timeout: float = 10.0, **fields: Any) -> dict:
        """command(), raising SmscError unless the answer is ok."""
        a = self.command(cmd, timeout, **fields)
        if not a.get("ok"):
            raise SmscError(f"{cmd} failed: {a.get('error')} ({a})")
        return a

    def mo(self, source: str, dest: str, text: str, *, encoding: str = "auto",
           split: int | None = None, order: list[int] | None = None,
           timeout: float = 10.0, **extra: Any) -> dict:
        """A mobile-originated SMS to every bound receiver. Returns the answer as is
        ({"ok", "status", "statuses", ...}); ok is False on a resp timeout or a lost
        connection, or when nothing is bound. `extra`: ref, ref16, hex, data_coding,
        esm_class, source_ton, source_npi, dest_ton, dest_npi, timeout_ms."""
        fields: dict[str, Any] = {"from": source, "to": dest, "text": text, "encoding": encoding}
        if split is not None:
            fields["split"] = split
        if order is not None:
            fields["order"] = list(order)
        fields.update(extra)
        return self.command("mo", timeout, **fields)

    def stats(self) -> dict:
        return self.check("stats")

    def messages(self) -> list[dict]:
        return self.check("messages")["messages"]

    def clear(self) -> None:
        self.check("clear")

    def sessions(self) -> list[dict]:
        return self.check("sessions")["sessions"]

    def drop(self, mode: str | None = None) -> dict:
        return self.check("drop", **({"mode": mode} if mode else {}))

    def enquire(self, timeout: float = 10.0) -> dict:
        return self.command("enquire", timeout)

    def configure(self, **settings: Any) -> dict:
        """Run-time settings: delay_ms, throttle_every, drop_after, drop_repeat,
        receipts, receipt_stat, receipt_err, receipt_delay_ms."""
        return self.check("config", **settings)

    # -- waits ---------------------------------------------------------------------

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Waits until at least `count` submit_sm were received; returns them all."""
        last: list = []

        def enough():
            nonlocal last
            last = self.messages()
            return len(last) >= count
        procs.wait_until(enough, timeout, 0.05, lambda: f"{len(last)} of {count} submit_sm received")
        return last

    def wait_for_bound(self, count: int = 1, timeout: float = 10.0) -> dict:
        """Waits until at least `count` sessions are bound; returns stats()."""
        last: dict = {}

        def bound():
            nonlocal last
            last = self.stats()
            return last["sessions"] >= count
        procs.wait_until(bound, timeout, 0.05, lambda: f"{last.get('sessions')} of {count} sessions bound")
        return last

    def wait_for_stat(self, key: str, at_least: int, timeout: float = 10.0) -> dict:
        """Waits until stats()[key] >= at_least; returns stats()."""
        last: dict = {}

        def reached():
            nonlocal last
            last = self.stats()
            return last.get(key, 0) >= at_least
        procs.wait_until(reached, timeout, 0.05, lambda: f"{key}={last.get(key)}, want >= {at_least}")
        return last
