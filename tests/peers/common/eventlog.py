"""A test server's event log: what happened, numbered from 1, for the control channel's
`events` command (`{"events": [...], "last": <seq>}`)."""

from __future__ import annotations

import collections
import json
import logging
import time
from typing import Callable, Iterator


class EventLog:
    """The last `keep` events, each {"seq", "t" (Unix time, ms), "kind", ...fields},
    also logged at INFO as `event {json}`. `seq` keeps counting past what is dropped."""

    def __init__(self, logger: logging.Logger, keep: int = 20000):
        self.logger = logger
        self.entries: collections.deque = collections.deque(maxlen=keep)
        self.seq = 0

    def add(self, kind: str, **fields) -> dict:
        self.seq += 1
        ev = {"seq": self.seq, "t": round(time.time(), 3), "kind": kind, **fields}
        self.entries.append(ev)
        self.logger.info("event %s", json.dumps(ev, ensure_ascii=False))
        return ev

    def select(self, since: int = 0, kind=None, match: Callable[[dict], bool] | None = None) -> list[dict]:
        """The events after seq `since`, of `kind` (a string, a list, or None: any) and
        for which `match(event)` is true (each server adds its own filters there)."""
        kinds = {kind} if isinstance(kind, str) else set(kind or [])
        return [e for e in self.entries if e["seq"] > since and (not kinds or e["kind"] in kinds)
                and (match is None or match(e))]

    def __iter__(self) -> Iterator[dict]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
