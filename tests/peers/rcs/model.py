"""The platform test server's data: platforms (a carrier's chatbot platform and its
configuration), bots, simulated phones, messages each way and stored files. Plain data
with no I/O; server.py acts on it."""

from __future__ import annotations

import asyncio
import collections
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import maap

if TYPE_CHECKING:
    from .server import MaapServer

MIB = 1024 * 1024

PLATFORM_DEFAULTS = {
    "port": 0,
    "root": "",                      # serverRoot: the API is at {root}/bot/v1/...
    "token": None, "tokens": [],     # static bearer tokens of the platform
    "bots": [],
    "ranges": [],                    # E.164 prefixes of the carrier's subscribers
    "max_file_size": 100 * MIB,
    "max_json_body": 256 * 1024,
    "error_style": "json",           # json | reason | plain | empty
    "noncapable_send": "reject",     # reject (404) | fail (202, then a failed status)
    "late_revoke": "reject",         # reject (404) | accept (204, no effect)
    "reused_msg_id": "same_answer",  # same_answer (same body: the first answer) | conflict (409)
    "send_status": 202,
    "upload_response": "file",       # file (201 + file object) | accepted (202 + fileId)
    "content_auth": False,           # downloads need a bearer token of the platform
    "file_validity": 30 * 86400,
    "token_ttl": 3600,
    "webhook": None, "webhook_token": None,   # defaults for bots that set none
    "webhook_retry": {"initial": 0.2, "factor": 2.0, "max_delay": 5.0, "max_attempts": 8, "timeout": 10.0},
    "sent_delay": 0.01,              # accepted -> sent
    "delivery_delay": 0.05,          # sent -> delivered (phone online)
}
RUNTIME_KEYS = ("max_file_size", "max_json_body", "error_style", "noncapable_send", "late_revoke", "reused_msg_id",
                "send_status",
                "upload_response", "content_auth", "file_validity", "token_ttl", "webhook_retry", "sent_delay",
                "delivery_delay")


def _norm_number(n: str) -> str:
    n = str(n).strip()
    if not maap.E164.match(n):
        raise ValueError(f"{n!r} is not an E.164 number")
    return n


@dataclass
class Bot:
    id: str
    platform: "Platform"
    webhook: str | None = None
    webhook_token: str | None = None   # the exact Authorization header value sent to the webhook
    secret: str | None = None          # for the token endpoint (client credentials)
    queue: collections.deque = field(default_factory=collections.deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    busy: bool = False
    task: asyncio.Task | None = None


@dataclass
class Phone:
    number: str
    platform: str | None = None      # explicit platform (ported number); else by ranges
    capable: bool = True
    online: bool = True
    displayed: bool = True           # sends displayed notifications
    capabilities: list = field(default_factory=lambda: list(maap.CAPABILITIES))
    chat_id: str = field(default_factory=maap.new_id)
    waiting: list = field(default_factory=list)    # msg ids sent while offline
    last_bot: dict = field(default_factory=dict)   # platform -> bot that last wrote

    def as_json(self, server: "MaapServer") -> dict:
        plat = server.platform_of(self.number)
        return {"number": self.number, "platform": plat.name if plat else None, "explicit_platform": self.platform,
                "capable": self.capable, "online": self.online, "displayed": self.displayed,
                "capabilities": self.capabilities, "chat_id": self.chat_id, "waiting": list(self.waiting)}


@dataclass
class OutMessage:
    msg_id: str
    platform: str
    bot: str
    number: str
    kind: str
    request: dict
    status: str = "pending"
    history: list = field(default_factory=list)
    file: dict | None = None          # the stored file a fileMessage refers to
    external_url: str | None = None
    fail: bool = False
    digest: str = ""
    thumbnail: dict | None = None     # the stored file its thumbnailUrl refers to

    def as_json(self) -> dict:
        return {"msg_id": self.msg_id, "platform": self.platform, "bot": self.bot, "number": self.number,
                "kind": self.kind, "status": self.status, "history": self.history, "request": self.request,
                "file": self.file, "thumbnail": self.thumbnail, "external_url": self.external_url}


@dataclass
class InMessage:
    msg_id: str
    platform: str
    bot: str
    number: str
    kind: str
    content: dict
    status: str = "received"
    file: dict | None = None

    def as_json(self) -> dict:
        return {"msg_id": self.msg_id, "platform": self.platform, "bot": self.bot, "number": self.number,
                "kind": self.kind, "status": self.status, "content": self.content, "file": self.file}


@dataclass
class StoredFile:
    file_id: str
    platform: str
    bot: str | None
    origin: str                      # upload | phone
    path: str
    size: int
    sha256: str
    content_type: str
    name: str
    url: str
    until: str
    deleted: bool = False

    def as_json(self) -> dict:
        return {"file_id": self.file_id, "platform": self.platform, "bot": self.bot, "origin": self.origin,
                "size": self.size, "sha256": self.sha256, "content_type": self.content_type, "name": self.name,
                "url": self.url, "until": self.until, "deleted": self.deleted}

    def api_json(self) -> dict:
        """The file object of the API (fileStatus event, upload answer, file info)."""
        return {"fileId": self.file_id, "fileUrl": self.url, "fileSize": self.size,
                "status": "expired" if self.deleted else "ready", "validity": self.until}


class Platform:
    def __init__(self, server: "MaapServer", cfg: dict):
        unknown = set(cfg) - set(PLATFORM_DEFAULTS) - {"name"}
        if unknown:
            raise ValueError(f"platform {cfg.get('name')!r}: unknown keys {sorted(unknown)}")
        self.server = server
        self.cfg = json.loads(json.dumps(PLATFORM_DEFAULTS))
        for k, v in cfg.items():
            if k == "webhook_retry":
                self.cfg[k].update(v)
            else:
                self.cfg[k] = v
        self.name = str(cfg.get("name") or "")
        if not self.name:
            raise ValueError("a platform needs a name")
        self.root = "/" + self.cfg["root"].strip("/") if self.cfg["root"].strip("/") else ""
        self.tokens = set(self.cfg["tokens"]) | ({self.cfg["token"]} if self.cfg["token"] else set())
        if not self.tokens:
            raise ValueError(f"platform {self.name}: no token")
        self.ranges = [str(r) for r in self.cfg["ranges"]]
        self.bots: dict[str, Bot] = {}
        for b in self.cfg["bots"]:
            b = {"id": b} if isinstance(b, str) else b
            self.bots[b["id"]] = Bot(b["id"], self, b.get("webhook", self.cfg["webhook"]),
                                     b.get("webhook_token", self.cfg["webhook_token"]), b.get("secret"))
        if not self.bots:
            raise ValueError(f"platform {self.name}: no bot")
        self.check()
        self.minted: dict[str, tuple[str, float]] = {}     # token -> (bot id, expiry)
        self.refresh: dict[str, str] = {}                  # refresh token -> bot id
        self.faults: list[dict] = []
        self.listener: asyncio.base_events.Server | None = None
        self.port = int(self.cfg["port"])
        self.scheme = "https" if server.ssl_context else "http"

    def check(self) -> None:
        c = self.cfg
        if c["error_style"] not in maap.ERROR_STYLES:
            raise ValueError(f"error_style must be one of {maap.ERROR_STYLES}")
        if c["noncapable_send"] not in ("reject", "fail"):
            raise ValueError("noncapable_send must be reject or fail")
        if c["late_revoke"] not in ("reject", "accept"):
            raise ValueError("late_revoke must be reject or accept")
        if c["reused_msg_id"] not in ("same_answer", "conflict"):
            raise ValueError("reused_msg_id must be same_answer or conflict")
        if c["upload_response"] not in ("file", "accepted"):
            raise ValueError("upload_response must be file or accepted")
        if int(c["send_status"]) not in (200, 201, 202):
            raise ValueError("send_status must be 200, 201 or 202")

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.server.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.root}/bot/v1"

    def content_prefix(self) -> str:
        return f"{self.base_url}{self.root}/content/"

    def in_ranges(self, number: str) -> int:
        return max((len(r) for r in self.ranges if number.startswith(r)), default=-1)

    def summary(self) -> dict:
        return {"name": self.name, "port": self.port, "base_url": self.base_url, "api_url": self.api_url,
                "root": self.root, "ranges": self.ranges, "listening": self.listener is not None,
                "bots": [{"id": b.id, "webhook": b.webhook, "queued": len(b.queue) + (1 if b.busy else 0)}
                         for b in self.bots.values()],
                **{k: self.cfg[k] for k in RUNTIME_KEYS}}
