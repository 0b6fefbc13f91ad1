"""Processes started by integration tests, and bounded waits.

Every process is started here, with its output in files under the test's temporary
directory, and recorded by PID. It is stopped by PID: SIGTERM, a bounded wait, then
SIGKILL and another bounded wait. Safety nets, so that nothing outlives the tests:

- every process gets PR_SET_PDEATHSIG(SIGKILL): if the test process dies (even by
  SIGKILL), the kernel kills its children. (The signal follows the *thread* that
  started the child: start processes from the main thread, or from a thread that lives
  at least as long as they do.)
- an atexit handler (and a SIGTERM handler, when none was installed) stops everything
  still running;
- HarnessTestCase stops, after each test, whatever that test started.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

DEFAULT_STOP_TIMEOUT = 10.0
KILL_WAIT = 5.0

_LOCK = threading.Lock()
_LIVE: dict[int, "Proc"] = {}
_STARTED: list["Proc"] = []  # every process, in start order (HarnessTestCase uses it)

try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _PRCTL = None
_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:  # runs in the child between fork and exec
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


class Proc:
    """A process started by start(). `pid`, `name`, `argv`, `popen`, and the paths of
    its output files `stdout_path` (None when stdout is a pipe) and `stderr_path`."""

    def __init__(self, name: str, argv: Sequence[str], popen: subprocess.Popen,
                 stdout_path: Path | None, stderr_path: Path):
        self.name = name
        self.argv = list(argv)
        self.popen = popen
        self.pid = popen.pid
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path

    def __repr__(self) -> str:
        return f"<Proc {self.name} pid={self.pid} rc={self.popen.returncode}>"

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        """The exit code (negative: killed by that signal); raises
        subprocess.TimeoutExpired after `timeout` seconds."""
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> int | None:
        return stop(self, timeout)

    def kill9(self) -> int | None:
        return kill9(self)

    def tail(self, lines: int = 40) -> str:
        """The last lines of its stderr (and stdout, when that went to a file)."""
        parts = []
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            if path is None or not path.exists():
                continue
            text = path.read_text(errors="replace").splitlines()[-lines:]
            if text:
                parts.append(f"--- {self.name} {label} ({path}) ---\n" + "\n".join(text))
        return "\n".join(parts)


def start(argv: Sequence[str], *, log_dir: str | os.PathLike, name: str | None = None,
          env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None,
          stdin: Any = subprocess.DEVNULL, pipe_stdout: bool = False,
          append: bool = False) -> Proc:
    """Starts argv with stdout/stderr in <log_dir>/<name>.stdout.log / .stderr.log
    (appended to with append=True, e.g. for a restart). pipe_stdout=True leaves stdout
    as a pipe (proc.popen.stdout) for a caller that reads it. stdin defaults to
    /dev/null; pass subprocess.PIPE to write to it. `env` is added to os.environ.
    """
    argv = [str(a) for a in argv]
    name = name or Path(argv[0]).name
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    mode = "ab" if append else "wb"
    stderr_path = log_dir / f"{name}.stderr.log"
    stdout_path = None if pipe_stdout else log_dir / f"{name}.stdout.log"
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    err_f = open(stderr_path, mode)
    out_f = subprocess.PIPE if pipe_stdout else open(stdout_path, mode)
    try:
        if append:
            marker = f"=== {time.strftime('%H:%M:%S')} start: {' '.join(argv)}\n".encode()
            err_f.write(marker)
            err_f.flush()
        popen = subprocess.Popen(argv, stdin=stdin, stdout=out_f, stderr=err_f, env=full_env,
                                 cwd=str(cwd) if cwd else None, start_new_session=True,
                                 preexec_fn=_child_setup, close_fds=True)
    finally:
        err_f.close()
        if not pipe_stdout:
            out_f.close()
    proc = Proc(name, argv, popen, stdout_path, stderr_path)
    with _LOCK:
        _LIVE[proc.pid] = proc
        _STARTED.append(proc)
    return proc


def _lookup(proc_or_pid: Proc | int) -> Proc:
    if isinstance(proc_or_pid, Proc):
        return proc_or_pid
    with _LOCK:
        proc = _LIVE.get(int(proc_or_pid))
        if proc is None:
            proc = next((p for p in _STARTED if p.pid == int(proc_or_pid)), None)
    if proc is None:
        raise KeyError(f"pid {proc_or_pid} was not started by this harness")
    return proc


def _forget(proc: Proc) -> None:
    with _LOCK:
        _LIVE.pop(proc.pid, None)


def stop(proc_or_pid: Proc | int, timeout: float = DEFAULT_STOP_TIMEOUT) -> int | None:
    """SIGTERM, wait up to `timeout` s, then SIGKILL and wait up to 5 s more.
    Returns the exit code (negative for a signal, as subprocess does), or None if the
    process could not be reaped in time (it stays in the registry for stop_all)."""
    proc = _lookup(proc_or_pid)
    rc = proc.popen.poll()
    if rc is None:
        try:
            proc.popen.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            rc = proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = kill9(proc)
    if rc is not None:
        _forget(proc)
        _close_pipes(proc)
    return rc


def kill9(proc_or_pid: Proc | int) -> int | None:
    """SIGKILL now; returns the exit code (-9), or None if not reaped within 5 s."""
    proc = _lookup(proc_or_pid)
    if proc.popen.poll() is None:
        try:
            proc.popen.kill()
        except ProcessLookupError:
            pass
    try:
        rc = proc.popen.wait(timeout=KILL_WAIT)
    except subprocess.TimeoutExpired:
        return None
    _forget(proc)
    _close_pipes(proc)
    return rc


def _close_pipes(proc: Proc) -> None:
    for f in (proc.popen.stdin, proc.popen.stdout):
        if f is not None:
            try:
                f.close()
            except OSError:
                pass


def live() -> list[Proc]:
    """Processes started here and not yet stopped/reaped."""
    with _LOCK:
        return list(_LIVE.values())


def stop_all(timeout: float = 5.0) -> None:
    """Stops everything still running (SIGTERM to all, bounded wait, then SIGKILL)."""
    procs = [p for p in live() if p.popen.poll() is None]
    for p in procs:
        try:
            p.popen.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill9(p)
    for p in live():
        if p.popen.poll() is not None:
            _forget(p)


atexit.register(stop_all)


def _on_sigterm(signum, frame):  # turn SIGTERM into a normal exit, so atexit runs
    raise SystemExit(128 + signum)


if threading.current_thread() is threading.main_thread():
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


# ---------------------------------------------------------------------------------
# Bounded waits

def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
               message: str | Callable[[], str] | None = None) -> Any:
    """Calls predicate() every `interval` s until it returns something truthy, and
    returns that. Raises TimeoutError after `timeout` s (with `message`, which may be a
    callable producing it lazily, e.g. to include the last state seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            if callable(message):
                message = message()
            raise TimeoutError(f"timed out after {timeout:g} s" + (f": {message}" if message else ""))
        time.sleep(interval)


def wait_for_port(host: str, port: int, timeout: float = 10.0, proc: Proc | None = None) -> None:
    """Waits until a TCP connect to host:port succeeds. With `proc`, fails at once
    (RuntimeError with its output) if that process exits meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            pass
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode} before "
                               f"listening on {host}:{port}\n{proc.tail()}")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:g} s")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------
# Test case base

class HarnessTestCase(unittest.TestCase):
    """unittest.TestCase with a per-test temporary directory `self.tmp` (a Path) and a
    cleanup that stops every process started during the test. On failure, the tails of
    those processes' logs are printed to stderr and the directory is kept; otherwise it
    is removed, unless PASSERELLE_KEEP_TMP=1. PASSERELLE_TEST_TMP picks the parent
    directory (default: the system temp dir)."""

    def setUp(self) -> None:
        super().setUp()
        root = os.environ.get("PASSERELLE_TEST_TMP") or None
        if root:
            Path(root).mkdir(parents=True, exist_ok=True)
        short = self.id().rsplit(".", 1)[-1][:40]
        self.tmp = Path(tempfile.mkdtemp(prefix=f"passerelle-{short}-", dir=root))
        with _LOCK:
            self._procs_before = len(_STARTED)
        self.addCleanup(self._harness_cleanup)

    def started_procs(self) -> list[Proc]:
        with _LOCK:
            return _STARTED[self._procs_before:]

    def _harness_failed(self) -> bool:
        result = getattr(getattr(self, "_outcome", None), "result", None)
        for entries in (getattr(result, "failures", ()), getattr(result, "errors", ())):
            if any(test is self for test, _ in entries):
                return True
        return False

    def _harness_cleanup(self) -> None:
        mine = self.started_procs()
        for p in mine:
            if p.popen.poll() is None:
                stop(p, timeout=5.0)
        if self._harness_failed():
            tails = [p.tail() for p in mine]
            sys.stderr.write(f"\n[{self.id()}] kept {self.tmp}\n" + "\n".join(t for t in tails if t) + "\n")
        elif not os.environ.get("PASSERELLE_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
