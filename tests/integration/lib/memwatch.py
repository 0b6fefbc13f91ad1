"""Resident memory of a process under test, from /proc/<pid>/status: one reading, or a
thread sampling VmRSS at a fixed interval (to catch the peak of a transfer).

    before = proc_memory(bridge.pid)["VmRSS"]
    with RssSampler(bridge.pid, interval=0.02) as s:
        ...                                      # the work
    growth = s.peak - before
"""

from __future__ import annotations

import threading
import time

FIELDS = ("VmRSS", "VmHWM")


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (resident peak since start) of `pid`, in bytes."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in FIELDS:
                out[key] = int(rest.split()[0]) * 1024   # the kernel writes kB
    return out


class RssSampler:
    """Samples VmRSS of `pid` every `interval` seconds on a daemon thread from start() to
    stop() (or as a context manager). `samples` holds (time.monotonic(), bytes)."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), proc_memory(self.pid)["VmRSS"]))
            except (OSError, KeyError):     # the process is gone
                return
            self._stop.wait(self.interval)

    def start(self) -> "RssSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def __enter__(self) -> "RssSampler":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def peak(self) -> int:
        return max(v for _, v in self.samples) if self.samples else 0

    def max_gap(self) -> float:
        """The longest time between two samples, in seconds (how well the peak is seen)."""
        t = [s[0] for s in self.samples]
        return max((b - a for a, b in zip(t, t[1:])), default=0.0)
