"""passerelle's RCS MaaP chatbot platform test server: one or more carriers' chatbot
platforms (each on its own port, with its bots, tokens, number ranges and file size
limit), simulated phones, webhook delivery to the chatbot with retries, streamed file
storage, and a JSON-lines control channel for tests. Loopback only unless told.

    python3 -m tests.peers.rcs.server --config platforms.json --control-port 0 --ready-file ready.json

prints one JSON line when listening: {"control_port": .., "pid": .., "platforms":
{name: {"port", "base_url", "api_url"}}} (also written to --ready-file). README.md
documents the API, the configuration and the control protocol.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import ipaddress
import json
import logging
import os
import random
import re
import shutil
import signal
import ssl
import sys
import tempfile
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field

if __package__ in (None, ""):  # run as a script: make `tests.peers.rcs` importable
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")))
    from tests.peers.rcs import http11, maap, multipart  # noqa: E402
    from tests.peers.rcs.http11 import HttpError, Response  # noqa: E402
    from tests.peers.rcs.maap import ApiError  # noqa: E402
else:
    from . import http11, maap, multipart
    from .http11 import HttpError, Response
    from .maap import ApiError

log = logging.getLogger("maap-server")

MIB = 1024 * 1024
MULTIPART_SLACK = 64 * 1024      # multipart framing allowed on top of max_file_size
MAX_FIELD = 8192                 # a non-file form field
KEEP_EVENTS = 20000
IDLE_TIMEOUT = 120.0
LINGER_TIMEOUT = 10.0            # reading and dropping an unwanted body before closing

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
RUNTIME_KEYS = ("max_file_size", "max_json_body", "error_style", "noncapable_send", "late_revoke", "send_status",
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

    def as_json(self) -> dict:
        return {"msg_id": self.msg_id, "platform": self.platform, "bot": self.bot, "number": self.number,
                "kind": self.kind, "status": self.status, "history": self.history, "request": self.request,
                "file": self.file, "external_url": self.external_url}


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


class MaapServer:
    def __init__(self, host: str, control_port: int, data_dir: str, ssl_context: ssl.SSLContext | None = None,
                 webhook_ssl: ssl.SSLContext | None = None):
        self.host = host
        self.control_port = control_port
        self.data_dir = data_dir
        self.ssl_context = ssl_context
        self.webhook_ssl = webhook_ssl
        self.platforms: dict[str, Platform] = {}
        self.phones: dict[str, Phone] = {}
        self.out: dict[str, OutMessage] = {}
        self.out_by_bot_id: dict[tuple[str, str, str], str] = {}
        self.inbound: dict[str, InMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.events: collections.deque = collections.deque(maxlen=KEEP_EVENTS)
        self.event_seq = 0
        self.webhook_seq = 0
        self.timers: set[asyncio.Task] = set()
        self.conn_tasks: set[asyncio.Task] = set()
        self.control_server = None
        self.stopped = asyncio.Event()

    # -- event log ------------------------------------------------------------

    def event(self, kind: str, **fields) -> dict:
        self.event_seq += 1
        e = {"seq": self.event_seq, "t": round(time.time(), 3), "kind": kind, **fields}
        self.events.append(e)
        log.info("event %s", json.dumps(e, ensure_ascii=False))
        return e

    def spawn(self, coro) -> asyncio.Task:
        t = asyncio.ensure_future(coro)
        self.timers.add(t)
        t.add_done_callback(self._task_done)
        return t

    def _task_done(self, t: asyncio.Task) -> None:
        self.timers.discard(t)
        if not t.cancelled() and t.exception() is not None:
            e = t.exception()
            log.error("task failed: %s", "".join(traceback.format_exception(type(e), e, e.__traceback__)))
            self.event("internal_error", error=f"{type(e).__name__}: {e}")

    # -- configuration --------------------------------------------------------

    def add_platform(self, cfg: dict) -> Platform:
        p = Platform(self, cfg)
        if p.name in self.platforms:
            raise ValueError(f"duplicate platform {p.name}")
        for other in self.platforms.values():
            dup = set(other.bots) & set(p.bots)
            if dup:
                raise ValueError(f"bot ids {sorted(dup)} on two platforms")
        self.platforms[p.name] = p
        return p

    def add_phone(self, spec: dict) -> Phone:
        number = _norm_number(spec["number"])
        plat = spec.get("platform")
        if plat is not None and plat not in self.platforms:
            raise ValueError(f"no platform {plat!r}")
        ph = self.phones.get(number) or Phone(number)
        self.phones[number] = ph
        self._update_phone(ph, spec)
        if self.platform_of(number) is None:
            raise ValueError(f"{number} is in no platform's ranges; give it a platform")
        return ph

    def _update_phone(self, ph: Phone, spec: dict) -> None:
        for k in ("capable", "online", "displayed"):
            if k in spec:
                setattr(ph, k, bool(spec[k]))
        if "capabilities" in spec:
            ph.capabilities = list(spec["capabilities"])
        if "platform" in spec:
            if spec["platform"] is not None and spec["platform"] not in self.platforms:
                raise ValueError(f"no platform {spec['platform']!r}")
            ph.platform = spec["platform"]

    def platform_of(self, number: str) -> Platform | None:
        """The carrier that serves a number: an explicit assignment (a ported number), else
        the platform with the longest matching range prefix."""
        ph = self.phones.get(number)
        if ph is not None and ph.platform:
            return self.platforms[ph.platform]
        best, best_len = None, -1
        for p in self.platforms.values():
            n = p.in_ranges(number)
            if n > best_len:
                best, best_len = p, n
        return best

    # -- listeners ------------------------------------------------------------

    async def start(self) -> None:
        for p in self.platforms.values():
            await self.start_listening(p)
            for b in p.bots.values():
                b.task = asyncio.ensure_future(self._webhook_worker(b))
        self.control_server = await asyncio.start_server(self._control_client, self.host, self.control_port)
        self.control_port = self.control_server.sockets[0].getsockname()[1]

    async def start_listening(self, p: Platform) -> None:
        if p.listener is not None:
            return
        p.listener = await asyncio.start_server(lambda r, w, p=p: self._serve(p, r, w), self.host, p.port,
                                                ssl=self.ssl_context, limit=http11.MAX_HEAD)
        p.port = p.listener.sockets[0].getsockname()[1]
        log.info("platform %s listening on %s", p.name, p.api_url)

    async def stop_listening(self, p: Platform) -> None:
        if p.listener is not None:
            p.listener.close()
            p.listener = None

    async def shutdown(self) -> None:
        for p in self.platforms.values():
            await self.stop_listening(p)
            for b in p.bots.values():
                if b.task:
                    b.task.cancel()
        if self.control_server:
            self.control_server.close()
        for t in list(self.timers) + list(self.conn_tasks):
            t.cancel()
        self.stopped.set()

    # -- HTTP -----------------------------------------------------------------

    async def _serve(self, p: Platform, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.conn_tasks.add(task)
        try:
            while True:
                try:
                    req = await asyncio.wait_for(http11.read_request(reader, writer), IDLE_TIMEOUT)
                except HttpError as e:
                    resp = self.error(p, e.status, str(e))
                    resp.close = True
                    self.event("http_error", platform=p.name, status=e.status, error=str(e))
                    await resp.write(writer)
                    break
                except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
                    break
                if req is None:
                    break
                resp = await self._handle(p, req)
                body = req.body
                if not body.finished:
                    resp.close = True
                try:
                    await resp.write(writer, head_only=req.method == "HEAD")
                except (ConnectionError, ssl.SSLError):
                    break
                finally:
                    if getattr(resp, "after", None):
                        resp.after()
                if not body.finished:
                    # Lingering close: read and drop what the client is still sending so that
                    # it gets to read our answer (no RST on unread data).
                    await body.discard(max(p.cfg["max_file_size"], MIB) * 2, LINGER_TIMEOUT)
                    break
                if resp.close or not req.keep_alive:
                    break
        except asyncio.CancelledError:
            pass
        except Exception as e:  # noqa: BLE001 - one connection's failure
            log.error("connection error: %s", traceback.format_exc())
            self.event("internal_error", platform=p.name, error=f"{type(e).__name__}: {e}")
        finally:
            self.conn_tasks.discard(task)
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    def error(self, p: Platform, status: int, message: str, headers: dict | None = None) -> Response:
        ctype, body = maap.error_body(p.cfg["error_style"], status, message)
        h = dict(headers or {})
        if ctype:
            h["Content-Type"] = ctype
        return Response(status, h, body)

    async def _handle(self, p: Platform, req: http11.Request) -> Response:
        t0 = time.monotonic()
        info: dict = {}
        try:
            fault = self._take_fault(p, req.path, ("api_delay",))
            if fault:
                await asyncio.sleep(float(fault.get("delay", 1.0)))
            fault = self._take_fault(p, req.path, ("api_status",))
            if fault:
                st = int(fault.get("status", 503))
                h = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
                raise ApiError(st, f"fault injected: {st}", h)
            resp = await self._route(p, req, info)
        except ApiError as e:
            resp = self.error(p, e.status, e.message, e.headers)
            info["error"] = e.message
        except HttpError as e:
            resp = self.error(p, e.status, str(e))
            resp.close = True
            info["error"] = str(e)
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            resp = self.error(p, 400, f"connection lost: {e}")
            resp.close = True
            info["error"] = str(e)
        except Exception as e:  # noqa: BLE001
            log.error("handler error: %s", traceback.format_exc())
            resp = self.error(p, 500, f"internal error: {type(e).__name__}")
            info["error"] = f"{type(e).__name__}: {e}"
            self.event("internal_error", platform=p.name, error=info["error"])
        self.event("api", platform=p.name, method=req.method, path=req.path, status=resp.status,
                   ms=round((time.monotonic() - t0) * 1000, 1), **info)
        return resp

    def _take_fault(self, p: Platform, path: str, kinds: tuple, bot: str | None = None) -> dict | None:
        """The first matching fault with uses left (count -1: unlimited), used once. API
        faults match a path substring (default every /bot/v1/ call), webhook faults a bot."""
        for f in p.faults:
            if f["kind"] not in kinds or f.get("count", 1) == 0:
                continue
            if f["kind"].startswith("webhook"):
                if f.get("bot") not in (None, bot):
                    continue
            elif f.get("path", "/bot/v1/") not in path:
                continue
            if f.get("count", 1) > 0:
                f["count"] = f.get("count", 1) - 1
            self.event("fault", platform=p.name, fault=f["kind"], path=path, bot=bot)
            return f
        return None

    async def _route(self, p: Platform, req: http11.Request, info: dict) -> Response:
        path = req.path
        if p.root:
            if not path.startswith(p.root + "/"):
                raise ApiError(404, f"no resource at {path}")
            path = path[len(p.root):]
        if path == "/oauth2/v1/token":
            self._allow(req, "POST")
            return await self.h_token(p, req, info)
        if path.startswith("/content/"):
            self._allow(req, "GET", "HEAD")
            return await self.h_content(p, req, path[len("/content/"):], info)
        m = re.match(r"^/bot/v1/([^/]+)(/.*)?$", path)
        if not m:
            raise ApiError(404, f"no resource at {req.path}")
        bot_id, rest = m.group(1), m.group(2) or ""
        info["bot"] = bot_id
        bot = self._auth(p, req, bot_id)
        if rest in ("/messages", "/messages/async"):
            self._allow(req, "POST")
            return await self.h_send(p, bot, req, info)
        mm = re.match(r"^/messages/([^/]+)/status$", rest)
        if mm:
            self._allow(req, "GET", "PUT")
            if req.method == "GET":
                return self.h_status_get(p, bot, mm.group(1))
            return await self.h_status_put(p, bot, req, mm.group(1), info)
        if rest == "/contactCapabilities":
            self._allow(req, "GET")
            return self.h_capabilities(p, bot, req, info)
        if rest == "/files":
            self._allow(req, "POST")
            return await self.h_upload(p, bot, req, info)
        mm = re.match(r"^/files/([^/]+)$", rest)
        if mm:
            self._allow(req, "GET", "DELETE")
            return self.h_file(p, bot, req, mm.group(1), info)
        raise ApiError(404, f"no resource at {req.path}")

    @staticmethod
    def _allow(req: http11.Request, *methods: str) -> None:
        if req.method not in methods:
            raise ApiError(405, f"{req.method} not allowed here", {"Allow": ", ".join(methods)})

    def _bearer(self, req: http11.Request) -> str | None:
        h = req.header("authorization")
        if not h:
            return None
        scheme, _, tok = h.partition(" ")
        return tok.strip() if scheme.lower() == "bearer" and tok.strip() else ""

    def _auth(self, p: Platform, req: http11.Request, bot_id: str) -> Bot:
        tok = self._bearer(req)
        realm = f'Bearer realm="{p.name}"'
        if tok is None:
            raise ApiError(401, "no bearer token", {"WWW-Authenticate": realm})
        minted = p.minted.get(tok)
        if minted and minted[1] < time.time():
            raise ApiError(401, "the access token has expired",
                           {"WWW-Authenticate": realm + ', error="invalid_token"'})
        if tok not in p.tokens and not minted:
            raise ApiError(401, "invalid access token", {"WWW-Authenticate": realm + ', error="invalid_token"'})
        bot = p.bots.get(bot_id)
        if bot is None:
            raise ApiError(404, f"no chatbot {bot_id} on this platform")
        if minted and minted[0] != bot_id:
            raise ApiError(403, f"this token belongs to chatbot {minted[0]}")
        return bot

    # -- token endpoint (client credentials, as the MaaP SDKs use it) ----------

    async def h_token(self, p: Platform, req: http11.Request, info: dict) -> Response:
        import base64
        body = await req.body.read_all(8192)
        form = urllib.parse.parse_qs(body.decode("latin-1"))
        auth = req.header("authorization") or ""
        bot = None
        if auth.lower().startswith("basic "):
            try:
                bid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except Exception:  # noqa: BLE001
                bid, secret = "", ""
            b = p.bots.get(bid)
            if b is not None and b.secret is not None and b.secret == secret:
                bot = b
        if bot is None:
            raise ApiError(401, "invalid client credentials", {"WWW-Authenticate": f'Basic realm="{p.name}"'})
        grant = (form.get("grant_type") or [""])[0]
        if grant == "refresh_token":
            rt = (form.get("refresh_token") or [""])[0]
            if p.refresh.get(rt) != bot.id:
                raise ApiError(400, "invalid refresh token")
            del p.refresh[rt]
        elif grant != "client_credentials":
            raise ApiError(400, f"unsupported grant_type {grant!r}")
        tok, rt = maap.new_id(), maap.new_id()
        ttl = int(p.cfg["token_ttl"])
        p.minted[tok] = (bot.id, time.time() + ttl)
        p.refresh[rt] = bot.id
        info["bot"] = bot.id
        self.event("token", platform=p.name, bot=bot.id, grant=grant)
        return Response.json(200, {"access_token": tok, "token_type": "Bearer", "expires_in": ttl,
                                   "refresh_token": rt, "scope": (form.get("scope") or ["botmessage"])[0]},
                             {"Cache-Control": "no-store"})

    # -- messages -------------------------------------------------------------

    @staticmethod
    def _require_json(req: http11.Request) -> None:
        ctype = req.header("content-type")
        if ctype and "json" not in ctype.lower():
            raise ApiError(415, f"Content-Type {ctype} is not JSON")

    async def _json_body(self, p: Platform, req: http11.Request):
        self._require_json(req)
        try:
            body = await req.body.read_all(int(p.cfg["max_json_body"]))
        except HttpError as e:
            if e.status == 413:
                raise ApiError(413, str(e)) from None
            raise
        return maap.parse_json(body)

    def _resolve_contact(self, p: Platform, contact: maap.Contact) -> tuple[str, Phone | None]:
        if contact.user_contact:
            number = contact.user_contact
        else:
            number = next((ph.number for ph in self.phones.values() if ph.chat_id == contact.chat_id), None)
            if number is None or self.platform_of(number) is not p:
                raise ApiError(404, "The user contact or chat ID cannot be found or the given user's device is not "
                                    "RCS capable.")
        if self.platform_of(number) is not p:
            raise ApiError(404, f"{number} is not a subscriber of {p.name}")
        return number, self.phones.get(number)

    async def h_send(self, p: Platform, bot: Bot, req: http11.Request, info: dict) -> Response:
        obj = await self._json_body(p, req)
        sreq = maap.parse_send(obj)
        number, phone = self._resolve_contact(p, sreq.contact)
        info["number"] = number
        capable = phone is not None and phone.capable
        ts = maap.now_iso()
        if sreq.typing:
            if not capable:
                raise ApiError(404, "The user contact or chat ID cannot be found or the given user's device is not "
                                    "RCS capable.")
            self.event("bot_typing", platform=p.name, bot=bot.id, number=number, state=sreq.rcs["isTyping"],
                       delivered=phone.online)
            return Response.json(int(p.cfg["send_status"]), {"RCSMessage": {"msgId": maap.new_id(), "timestamp": ts}})
        digest = hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()
        if sreq.msg_id:
            prev_id = self.out_by_bot_id.get((p.name, bot.id, sreq.msg_id))
            if prev_id is not None:
                prev = self.out[prev_id]
                if prev.digest != digest:
                    raise ApiError(409, f"msgId {sreq.msg_id} was already used for another message")
                self.event("duplicate_send", platform=p.name, bot=bot.id, msg_id=prev.msg_id, number=number)
                return Response.json(int(p.cfg["send_status"]),
                                     {"RCSMessage": {"msgId": prev.msg_id, "status": prev.status, "timestamp": ts}})
            if sreq.msg_id in self.out or sreq.msg_id in self.inbound:
                raise ApiError(409, f"msgId {sreq.msg_id} is already in use")
        if not capable and p.cfg["noncapable_send"] == "reject":
            raise ApiError(404, "The user contact or chat ID cannot be found or the given user's device is not "
                                "RCS capable.")
        stored = external = None
        if sreq.kind in ("fileMessage", "audioMessage"):
            stored, external = self._resolve_file_ref(p, sreq.rcs[sreq.kind])
        msg = OutMessage(sreq.msg_id or maap.new_id(), p.name, bot.id, number, sreq.kind, obj, digest=digest,
                         file=stored.as_json() if stored else None, external_url=external, fail=not capable)
        msg.history.append(["pending", ts])
        self.out[msg.msg_id] = msg
        self.out_by_bot_id[(p.name, bot.id, msg.msg_id)] = msg.msg_id
        if phone is not None:
            phone.last_bot[p.name] = bot.id
        info["msg_id"] = msg.msg_id
        self.event("bot_message", platform=p.name, bot=bot.id, number=number, msg_id=msg.msg_id, content=sreq.kind,
                   text=sreq.rcs.get("textMessage"), suggestions=len(sreq.suggestions), file=msg.file,
                   external_url=external, capable=capable)
        self.spawn(self._progress(msg))
        return Response.json(int(p.cfg["send_status"]), {"RCSMessage": {"msgId": msg.msg_id, "status": "pending",
                                                                        "timestamp": ts}})

    def _resolve_file_ref(self, p: Platform, fm: dict) -> tuple[StoredFile | None, str | None]:
        url = fm["fileUrl"]
        prefix = p.content_prefix()
        if not url.startswith(prefix):
            return None, url
        file_id = url[len(prefix):].split("/", 1)[0]
        f = self.files.get(file_id)
        if f is None or f.deleted or f.platform != p.name:
            raise ApiError(400, f"fileUrl refers to no stored file: {url}")
        if fm.get("fileSize") is not None and fm["fileSize"] != f.size:
            raise ApiError(400, f"fileSize {fm['fileSize']} does not match the stored file ({f.size} bytes)")
        return f, None

    def _set_status(self, msg: OutMessage, status: str, notify: bool = True) -> None:
        msg.status = status
        msg.history.append([status, maap.now_iso()])
        p = self.platforms[msg.platform]
        self.event("message_status", platform=p.name, bot=msg.bot, number=msg.number, msg_id=msg.msg_id,
                   status=status, notified=notify)
        if notify:
            self.emit(p.bots[msg.bot], maap.ev_status(msg.msg_id, msg.number, status), msg_id=msg.msg_id)

    async def _progress(self, msg: OutMessage) -> None:
        p = self.platforms[msg.platform]
        await asyncio.sleep(float(p.cfg["sent_delay"]))
        if msg.status != "pending":
            return
        if msg.fail:
            self._set_status(msg, "failed")
            return
        self._set_status(msg, "sent")
        phone = self.phones.get(msg.number)
        if phone is None or not phone.capable:
            self._set_status(msg, "failed")
        elif phone.online:
            await asyncio.sleep(float(p.cfg["delivery_delay"]))
            self._deliver(msg)
        else:
            phone.waiting.append(msg.msg_id)

    def _deliver(self, msg: OutMessage) -> None:
        if msg.status != "sent":
            return
        phone = self.phones.get(msg.number)
        if phone is None or not phone.online:
            if phone is not None and msg.msg_id not in phone.waiting:
                phone.waiting.append(msg.msg_id)
            return
        self._set_status(msg, "delivered")
        self.event("phone_received", platform=msg.platform, bot=msg.bot, number=msg.number, msg_id=msg.msg_id,
                   content=msg.kind, text=msg.request["RCSMessage"].get("textMessage"), file=msg.file,
                   external_url=msg.external_url)

    def _phone_online(self, phone: Phone) -> None:
        waiting, phone.waiting = phone.waiting, []
        for mid in waiting:
            msg = self.out.get(mid)
            if msg is not None and msg.status == "sent":
                self.spawn(self._deliver_later(msg))

    async def _deliver_later(self, msg: OutMessage) -> None:
        await asyncio.sleep(float(self.platforms[msg.platform].cfg["delivery_delay"]))
        self._deliver(msg)

    def h_status_get(self, p: Platform, bot: Bot, msg_id: str) -> Response:
        m = self.out.get(msg_id)
        if m is not None and m.platform == p.name and m.bot == bot.id:
            return Response.json(200, {"RCSMessage": {"msgId": m.msg_id, "status": m.status,
                                                      "timestamp": m.history[-1][1]}})
        im = self.inbound.get(msg_id)
        if im is not None and im.platform == p.name and im.bot == bot.id:
            return Response.json(200, {"RCSMessage": {"msgId": im.msg_id, "status": im.status,
                                                      "timestamp": maap.now_iso()}})
        raise ApiError(404, f"no message {msg_id}")

    async def h_status_put(self, p: Platform, bot: Bot, req: http11.Request, msg_id: str, info: dict) -> Response:
        obj = await self._json_body(p, req)
        want = maap.parse_status_update(obj)
        info["msg_id"] = msg_id
        if want == "displayed":
            im = self.inbound.get(msg_id)
            if im is None or im.platform != p.name or im.bot != bot.id:
                raise ApiError(404, f"no message {msg_id} received by this chatbot")
            if im.status != "displayed":
                im.status = "displayed"
                self.event("bot_displayed", platform=p.name, bot=bot.id, number=im.number, msg_id=msg_id)
            return Response(204)
        m = self.out.get(msg_id)
        if m is None or m.platform != p.name or m.bot != bot.id:
            raise ApiError(404, f"no message {msg_id} sent by this chatbot")
        if m.status == "cancelled":
            self.event("revoke", platform=p.name, bot=bot.id, msg_id=msg_id, result="already_cancelled")
            return Response(204)
        if m.status in ("pending", "sent"):
            phone = self.phones.get(m.number)
            if phone is not None and msg_id in phone.waiting:
                phone.waiting.remove(msg_id)
            self._set_status(m, "cancelled", notify=False)
            self.event("revoke", platform=p.name, bot=bot.id, msg_id=msg_id, number=m.number, result="revoked")
            return Response(204)
        if p.cfg["late_revoke"] == "accept":
            self.event("revoke", platform=p.name, bot=bot.id, msg_id=msg_id, number=m.number, result="too_late_accepted",
                       status=m.status)
            return Response(204)
        self.event("revoke", platform=p.name, bot=bot.id, msg_id=msg_id, number=m.number, result="too_late",
                   status=m.status)
        raise ApiError(404, f"message {msg_id} is {m.status}: it can no longer be revoked")

    def h_capabilities(self, p: Platform, bot: Bot, req: http11.Request, info: dict) -> Response:
        uc = req.query.get("userContact", [None])[0]
        cid = req.query.get("chatId", [None])[0]
        if (uc is None) == (cid is None):
            raise ApiError(400, "give exactly one of userContact, chatId")
        if uc is not None and not maap.E164.match(uc):
            raise ApiError(400, f"userContact {uc!r} is not an E.164 number")
        number, phone = self._resolve_contact(p, maap.Contact(uc, cid))
        info["number"] = number
        ok = phone is not None and phone.capable
        self.event("capability_query", platform=p.name, bot=bot.id, number=number, capable=ok)
        if not ok:
            raise ApiError(404, "The user contact or chat ID cannot be found or the given user's device is not RCS "
                                "capable.")
        return Response.json(200, {"capabilities": list(phone.capabilities)})

    # -- files ----------------------------------------------------------------

    def _new_file_path(self) -> str:
        return os.path.join(self.data_dir, f"f-{maap.new_id()}")

    def _store(self, p: Platform, bot: str | None, origin: str, tmp: str, size: int, sha: str, ctype: str,
               name: str, until: str | None) -> StoredFile:
        fid = maap.new_id()
        path = os.path.join(self.data_dir, fid)
        os.replace(tmp, path)
        safe = urllib.parse.quote(name or "file", safe="")
        f = StoredFile(fid, p.name, bot, origin, path, size, sha, ctype, name, f"{p.content_prefix()}{fid}/{safe}",
                       until or maap.iso_in(float(p.cfg["file_validity"])))
        self.files[fid] = f
        return f

    async def h_upload(self, p: Platform, bot: Bot, req: http11.Request, info: dict) -> Response:
        try:
            boundary = multipart.boundary_from_content_type(req.header("content-type"))
        except multipart.MultipartError as e:
            raise ApiError(415 if "not multipart" in str(e) or "no Content-Type" in str(e) else 400,
                           f"a file upload is multipart/form-data: {e}") from None
        limit = int(p.cfg["max_file_size"])
        body = req.body
        if body.length is not None and body.length > limit + MULTIPART_SLACK:
            self.event("file_rejected", platform=p.name, bot=bot.id, reason="too_large", declared=body.length,
                       limit=limit)
            raise ApiError(413, f"upload of {body.length} bytes is over the platform's limit of {limit} bytes")
        parser = multipart.MultipartParser(boundary)
        fields: dict[str, str] = {}
        cur = None            # ("file", fobj) or ("field", name, bytearray) or ("skip",)
        tmp = self._new_file_path()
        fobj = None
        size, sha = 0, hashlib.sha256()
        part_ctype = part_name = None
        got_file = False
        try:
            while True:
                data = await body.read()
                if not data:
                    break
                try:
                    events = parser.feed(data)
                except multipart.MultipartError as e:
                    raise ApiError(400, f"malformed multipart body: {e}") from None
                for ev in events:
                    if isinstance(ev, multipart.Part):
                        if ev.name == "fileContent" or (ev.filename is not None and not got_file):
                            if got_file:
                                raise ApiError(400, "more than one file part")
                            got_file = True
                            part_ctype, part_name = ev.content_type, ev.filename
                            fobj = open(tmp, "wb")
                            cur = ("file",)
                        else:
                            cur = ("field", ev.name, bytearray())
                    elif isinstance(ev, multipart.Data):
                        if cur[0] == "file":
                            size += len(ev.data)
                            if size > limit:
                                self.event("file_rejected", platform=p.name, bot=bot.id, reason="too_large",
                                           received=size, limit=limit)
                                raise ApiError(413, f"file over the platform's limit of {limit} bytes")
                            sha.update(ev.data)
                            fobj.write(ev.data)
                        else:
                            cur[2].extend(ev.data)
                            if len(cur[2]) > MAX_FIELD:
                                raise ApiError(400, f"form field {cur[1]} longer than {MAX_FIELD} bytes")
                    elif isinstance(ev, multipart.PartEnd):
                        if cur[0] == "field":
                            fields[cur[1]] = cur[2].decode("utf-8", "replace")
                        elif fobj is not None:
                            fobj.close()
            try:
                parser.close()
            except multipart.MultipartError as e:
                raise ApiError(400, f"malformed multipart body: {e}") from None
            if fobj is not None and not fobj.closed:
                fobj.close()
            if got_file == bool(fields.get("fileUrl")):
                raise ApiError(400, "give exactly one of fileContent (a file part) or fileUrl")
            if fields.get("fileUrl"):
                size, digest, fetched_ctype = await self._fetch_url(p, fields["fileUrl"], tmp)
                part_ctype = part_ctype or fetched_ctype
                part_name = urllib.parse.unquote(urllib.parse.urlsplit(fields["fileUrl"]).path.rsplit("/", 1)[-1])
            else:
                digest = sha.hexdigest()
            ctype = fields.get("fileType") or part_ctype or "application/octet-stream"
            until = fields.get("until") or None
            f = self._store(p, bot.id, "upload", tmp, size, digest, ctype, part_name or "file", until)
        except ApiError:
            raise
        except HttpError as e:
            self.event("file_rejected", platform=p.name, bot=bot.id, reason="truncated", received=size,
                       error=str(e))
            raise
        finally:
            if fobj is not None and not fobj.closed:
                fobj.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
        info["file_id"] = f.file_id
        self.event("file_uploaded", platform=p.name, bot=bot.id, file_id=f.file_id, size=f.size, sha256=f.sha256,
                   content_type=f.content_type, name=f.name, source="url" if fields.get("fileUrl") else "multipart")
        self.emit(bot, maap.ev_file_status(f.api_json()))
        loc = {"Location": f"{p.root}/bot/v1/{bot.id}/files/{f.file_id}"}
        if p.cfg["upload_response"] == "accepted":
            return Response.json(202, {"fileId": f.file_id}, loc)
        return Response.json(201, {"file": f.api_json()}, loc)

    async def _fetch_url(self, p: Platform, url: str, tmp: str) -> tuple[int, str, str | None]:
        u = urllib.parse.urlsplit(url)
        host = u.hostname or ""
        try:
            loop_ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loop_ok = False
        if u.scheme not in ("http", "https") or not loop_ok:
            raise ApiError(400, "this test platform only fetches fileUrl from loopback addresses")
        limit = int(p.cfg["max_file_size"])
        sha = hashlib.sha256()
        size = 0
        with open(tmp, "wb") as f:
            async def sink(piece: bytes) -> None:
                nonlocal size
                size += len(piece)
                if size > limit:
                    raise ApiError(413, f"the file at fileUrl is over the platform's limit of {limit} bytes")
                sha.update(piece)
                f.write(piece)
            try:
                r = await http11.fetch("GET", url, sink=sink, timeout=60.0,
                                       ssl_context=self.webhook_ssl)
            except ApiError:
                raise
            except Exception as e:  # noqa: BLE001
                raise ApiError(400, f"could not fetch fileUrl: {type(e).__name__}: {e}") from None
        if not 200 <= r.status < 300:
            raise ApiError(400, f"fetching fileUrl answered {r.status}")
        return size, sha.hexdigest(), r.headers.get("content-type")

    def h_file(self, p: Platform, bot: Bot, req: http11.Request, file_id: str, info: dict) -> Response:
        f = self.files.get(file_id)
        info["file_id"] = file_id
        if f is None or f.platform != p.name or f.deleted:
            raise ApiError(404, f"no file {file_id}")
        if req.method == "DELETE":
            if f.origin != "upload" or f.bot != bot.id:
                raise ApiError(403, "only the chatbot that uploaded a file may delete it")
            f.deleted = True
            try:
                os.unlink(f.path)
            except OSError:
                pass
            self.event("file_deleted", platform=p.name, bot=bot.id, file_id=file_id)
            return Response(204)
        return Response.json(200, {"file": f.api_json()})

    async def h_content(self, p: Platform, req: http11.Request, rest: str, info: dict) -> Response:
        file_id = rest.split("/", 1)[0]
        info["file_id"] = file_id
        f = self.files.get(file_id)
        if f is None or f.platform != p.name or f.deleted:
            raise ApiError(404, "no such file")
        if p.cfg["content_auth"]:
            tok = self._bearer(req)
            ok = tok is not None and (tok in p.tokens or (tok in p.minted and p.minted[tok][1] >= time.time()))
            if not ok:
                raise ApiError(401, "a bearer token is required", {"WWW-Authenticate": f'Bearer realm="{p.name}"'})
        start, end = 0, f.size - 1
        status = 200
        headers = {"Content-Type": f.content_type, "Accept-Ranges": "bytes", "ETag": f'"{f.sha256}"',
                   "Content-Disposition": "attachment; filename*=UTF-8''" + urllib.parse.quote(f.name, safe="")}
        rng = req.header("range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not m or (not m.group(1) and not m.group(2)):
                raise ApiError(416, "only one bytes range is supported", {"Content-Range": f"bytes */{f.size}"})
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), f.size - 1) if m.group(2) else f.size - 1
            else:
                start = max(0, f.size - int(m.group(2)))
            if start >= f.size or start > end:
                raise ApiError(416, "range not satisfiable", {"Content-Range": f"bytes */{f.size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
        length = end - start + 1 if f.size else 0
        state = {"sent": 0}

        async def chunks():
            with open(f.path, "rb") as fh:
                fh.seek(start)
                left = length
                while left > 0:
                    piece = fh.read(min(http11.READ_SIZE, left))
                    if not piece:
                        break
                    left -= len(piece)
                    state["sent"] += len(piece)
                    yield piece

        resp = Response(status, headers, chunks=None if req.method == "HEAD" else chunks(), length=length)
        if req.method == "HEAD":
            resp.headers["Content-Length"] = str(length)
            return resp

        def after():
            self.event("file_downloaded", platform=p.name, file_id=f.file_id, origin=f.origin, start=start,
                       bytes=state["sent"], complete=state["sent"] == length, size=f.size, sha256=f.sha256,
                       content_type=f.content_type)
        resp.after = after
        return resp

    # -- webhooks -------------------------------------------------------------

    def emit(self, bot: Bot, ev: dict, **meta) -> int:
        self.webhook_seq += 1
        wid = self.webhook_seq
        bot.queue.append((wid, ev, meta))
        bot.wake.set()
        self.event("webhook_queued", platform=bot.platform.name, bot=bot.id, webhook_id=wid, event=ev["event"], **meta)
        return wid

    async def _webhook_worker(self, bot: Bot) -> None:
        p = bot.platform
        while True:
            while not bot.queue or not bot.webhook:
                bot.wake.clear()
                await bot.wake.wait()
            wid, ev, meta = bot.queue[0]
            bot.busy = True
            try:
                if self._take_fault(p, "webhook", ("webhook_drop",), bot.id):
                    self.event("webhook", platform=p.name, bot=bot.id, webhook_id=wid, event=ev["event"],
                               result="dropped", **meta)
                    continue
                f = self._take_fault(p, "webhook", ("webhook_delay",), bot.id)
                if f:
                    await asyncio.sleep(float(f.get("delay", 1.0)))
                await self._deliver_webhook(bot, wid, ev, meta)
            finally:
                bot.queue.popleft()
                bot.busy = False

    async def _deliver_webhook(self, bot: Bot, wid: int, ev: dict, meta: dict) -> None:
        p = bot.platform
        retry = p.cfg["webhook_retry"]
        delay = float(retry["initial"])
        body = json.dumps(ev, ensure_ascii=False).encode()
        attempt = 0
        while True:
            attempt += 1
            headers = {"Content-Type": "application/json"}
            if bot.webhook_token:
                headers["Authorization"] = bot.webhook_token
            t0 = time.monotonic()
            status, err, answer = None, None, b""
            url = bot.webhook
            try:
                r = await http11.fetch("POST", url, headers=headers, body=body, timeout=float(retry["timeout"]),
                                       max_body=512, ssl_context=self.webhook_ssl)
                status, answer = r.status, r.body
            except Exception as e:  # noqa: BLE001 - recorded, retried
                err = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            ok = status is not None and 200 <= status < 300
            last = ok or attempt >= int(retry["max_attempts"])
            self.event("webhook", platform=p.name, bot=bot.id, webhook_id=wid, event=ev["event"], url=url,
                       attempt=attempt, status=status, error=err, answer=answer[:200].decode("utf-8", "replace"),
                       ms=round((time.monotonic() - t0) * 1000, 1),
                       result="delivered" if ok else ("abandoned" if last else "retry"), **meta)
            if last:
                return
            await asyncio.sleep(delay)
            delay = min(delay * float(retry["factor"]), float(retry["max_delay"]))

    async def webhook_raw(self, bot: Bot, body: bytes, headers: dict, auth) -> dict:
        h = {"Content-Type": "application/json"}
        if auth == "good":
            if bot.webhook_token:
                h["Authorization"] = bot.webhook_token
        elif auth not in (None, "none"):
            h["Authorization"] = str(auth)
        h.update(headers)
        if not bot.webhook:
            raise ValueError(f"bot {bot.id} has no webhook")
        try:
            r = await http11.fetch("POST", bot.webhook, headers=h, body=body, timeout=30.0, max_body=4096,
                                   ssl_context=self.webhook_ssl)
        except Exception as e:  # noqa: BLE001
            self.event("webhook_raw", platform=bot.platform.name, bot=bot.id, size=len(body), error=str(e))
            return {"status": None, "error": f"{type(e).__name__}: {e}"}
        self.event("webhook_raw", platform=bot.platform.name, bot=bot.id, size=len(body), status=r.status)
        return {"status": r.status, "body": r.body.decode("utf-8", "replace"), "headers": r.headers}

    # -- phones ---------------------------------------------------------------

    def _phone(self, number: str) -> Phone:
        ph = self.phones.get(_norm_number(number))
        if ph is None:
            raise ValueError(f"no phone {number}")
        return ph

    def _phone_bot(self, ph: Phone, req: dict) -> Bot:
        p = self.platform_of(ph.number)
        bid = req.get("bot") or ph.last_bot.get(p.name) or next(iter(p.bots))
        bot = p.bots.get(bid)
        if bot is None:
            raise ValueError(f"no bot {bid} on {p.name}")
        if not ph.capable:
            raise ValueError(f"{ph.number} is not RCS-capable: it cannot write to a chatbot")
        if not ph.online:
            raise ValueError(f"{ph.number} is offline")
        return bot

    def phone_message(self, ph: Phone, bot: Bot, kind: str, content: dict, file: StoredFile | None = None) -> InMessage:
        mid = maap.new_id()
        p = bot.platform
        im = InMessage(mid, p.name, bot.id, ph.number, kind, content, file=file.as_json() if file else None)
        self.inbound[mid] = im
        ph.last_bot[p.name] = bot.id
        self.event("phone_message", platform=p.name, bot=bot.id, number=ph.number, msg_id=mid, content=kind,
                   text=content.get("textMessage"), file=im.file)
        self.emit(bot, maap.ev_message(mid, ph.number, content), msg_id=mid)
        return im

    async def phone_file(self, ph: Phone, bot: Bot, req: dict) -> dict:
        p = bot.platform
        name = str(req.get("name") or "file.bin")
        ctype = str(req.get("content_type") or "application/octet-stream")
        tmp = self._new_file_path()
        if req.get("path"):
            src = str(req["path"])
            size, digest = await asyncio.to_thread(_copy_hash, src, tmp)
        else:
            size = int(req["size"])
            size, digest = await asyncio.to_thread(_generate, tmp, size, int(req.get("seed", 0)))
        f = self._store(p, bot.id, "phone", tmp, size, digest, ctype, name, None)
        self.event("phone_file", platform=p.name, bot=bot.id, number=ph.number, file_id=f.file_id, size=size,
                   sha256=digest, content_type=ctype, name=name)
        content = {"fileMessage": {"fileName": name, "fileUrl": f.url, "fileMIMEType": ctype, "fileSize": size}}
        im = self.phone_message(ph, bot, "fileMessage", content, f)
        return {"msg_id": im.msg_id, **f.as_json()}

    def phone_read(self, ph: Phone, msg_ids) -> list[str]:
        read = []
        for m in self.out.values():
            if m.number != ph.number or m.status != "delivered":
                continue
            if msg_ids and m.msg_id not in msg_ids:
                continue
            self._set_status(m, "displayed", notify=ph.displayed)
            read.append(m.msg_id)
        for mid in msg_ids or []:
            if mid not in read:
                m = self.out.get(mid)
                raise ValueError(f"message {mid} is {m.status if m else 'unknown'}: a phone reads delivered messages")
        return read

    # -- control channel ------------------------------------------------------

    async def _control_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.conn_tasks.add(task)
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ConnectionError, ValueError):
                    break
                if not line:
                    break
                if not line.strip():
                    continue
                req: dict = {}
                try:
                    parsed = json.loads(line)
                    if not isinstance(parsed, dict):
                        raise ValueError("a request is a JSON object")
                    req = parsed
                    reply = {"ok": True, **(await self.control(req))}
                except Exception as e:  # noqa: BLE001 - reported to the caller
                    reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                if "id" in req:
                    reply["id"] = req["id"]
                writer.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
                await writer.drain()
                if req.get("cmd") == "shutdown" and reply.get("ok"):
                    await self.shutdown()
                    break
        except asyncio.CancelledError:
            pass
        finally:
            self.conn_tasks.discard(task)
            writer.close()

    def _plat(self, req: dict, default_first: bool = False) -> Platform:
        name = req.get("platform")
        if name is None and (default_first or len(self.platforms) == 1):
            return next(iter(self.platforms.values()))
        if name not in self.platforms:
            raise ValueError(f"no platform {name!r}")
        return self.platforms[name]

    def _bot(self, req: dict) -> Bot:
        bid = req.get("bot")
        for p in self.platforms.values():
            if req.get("platform") not in (None, p.name):
                continue
            if bid is None:
                return next(iter(p.bots.values()))
            if bid in p.bots:
                return p.bots[bid]
        raise ValueError(f"no bot {bid!r}")

    def ready_info(self) -> dict:
        return {"control_port": self.control_port, "pid": os.getpid(),
                "platforms": {p.name: {"port": p.port, "base_url": p.base_url, "api_url": p.api_url}
                              for p in self.platforms.values()}}

    def idle(self) -> bool:
        busy_q = any(b.queue or b.busy for p in self.platforms.values() for b in p.bots.values()
                     if b.webhook)
        pending = any(m.status == "pending" for m in self.out.values())
        return not busy_q and not pending and not any(not t.done() for t in self.timers)

    async def control(self, req: dict) -> dict:
        cmd = req.get("cmd")
        if cmd == "ping":
            return self.ready_info()
        if cmd == "platforms":
            return {"platforms": [p.summary() for p in self.platforms.values()]}
        if cmd == "set_platform":
            p = self._plat(req)
            changes = {k: v for k, v in req.items() if k in RUNTIME_KEYS}
            unknown = set(req) - set(RUNTIME_KEYS) - {"cmd", "id", "platform"}
            if unknown:
                raise ValueError(f"not settable at run time: {sorted(unknown)}")
            old = json.loads(json.dumps(p.cfg))
            for k, v in changes.items():
                if k == "webhook_retry":
                    p.cfg[k].update(v)
                else:
                    p.cfg[k] = v
            try:
                p.check()
            except ValueError:
                p.cfg = old
                raise
            self.event("platform_set", platform=p.name, **changes)
            return {"platform": p.summary()}
        if cmd == "add_phone":
            ph = self.add_phone(req)
            self.event("phone_added", **ph.as_json(self))
            return {"phone": ph.as_json(self)}
        if cmd == "set_phone":
            ph = self._phone(req["number"])
            was_online = ph.online
            self._update_phone(ph, req)
            self.event("phone_set", **ph.as_json(self))
            if ph.online and not was_online:
                self._phone_online(ph)
            return {"phone": ph.as_json(self)}
        if cmd == "remove_phone":
            ph = self.phones.pop(_norm_number(req["number"]), None)
            return {"removed": ph is not None}
        if cmd == "phones":
            return {"phones": [ph.as_json(self) for ph in self.phones.values()]}
        if cmd == "phone_send_text":
            ph = self._phone(req["number"])
            bot = self._phone_bot(ph, req)
            im = self.phone_message(ph, bot, "textMessage", {"textMessage": str(req["text"])})
            return {"msg_id": im.msg_id, "bot": bot.id, "platform": bot.platform.name}
        if cmd == "phone_send_file":
            ph = self._phone(req["number"])
            bot = self._phone_bot(ph, req)
            return await self.phone_file(ph, bot, req)
        if cmd == "phone_typing":
            ph = self._phone(req["number"])
            bot = self._phone_bot(ph, req)
            state = req.get("state", "active")
            if state not in maap.TYPING_STATES:
                raise ValueError("state is active or idle")
            self.event("phone_typing", platform=bot.platform.name, bot=bot.id, number=ph.number, state=state)
            self.emit(bot, maap.ev_typing(ph.number, state))
            return {"bot": bot.id}
        if cmd == "phone_read":
            ph = self._phone(req["number"])
            ids = req.get("msg_ids") or ([req["msg_id"]] if req.get("msg_id") else [])
            return {"read": self.phone_read(ph, ids)}
        if cmd == "phone_reply":
            ph = self._phone(req["number"])
            bot = self._phone_bot(ph, req)
            kind = req.get("kind", "reply")
            if kind not in ("reply", "action"):
                raise ValueError("kind is reply or action")
            ev = maap.ev_response(ph.number, kind, str(req["display_text"]), req.get("postback"))
            self.event("phone_response", platform=bot.platform.name, bot=bot.id, number=ph.number, response=kind,
                       display_text=req["display_text"], postback=req.get("postback"))
            self.emit(bot, ev, msg_id=ev["RCSMessage"]["msgId"])
            return {"msg_id": ev["RCSMessage"]["msgId"], "bot": bot.id}
        if cmd == "phone_new_user":
            ph = self._phone(req["number"])
            bot = self._phone_bot(ph, req)
            self.emit(bot, maap.ev_new_user(ph.number))
            return {"bot": bot.id}
        if cmd == "phone_alias":
            ph = self._phone(req["number"])
            bot = self._phone_bot(ph, req)
            self.emit(bot, maap.ev_alias(ph.number, ph.chat_id))
            return {"bot": bot.id, "chat_id": ph.chat_id}
        if cmd == "fail_message":
            m = self.out.get(req["msg_id"])
            if m is None:
                raise ValueError(f"no message {req['msg_id']}")
            if m.status in ("delivered", "displayed", "failed", "cancelled"):
                raise ValueError(f"message is {m.status}")
            ph = self.phones.get(m.number)
            if ph is not None and m.msg_id in ph.waiting:
                ph.waiting.remove(m.msg_id)
            if m.status == "pending":
                m.fail = True
            else:
                self._set_status(m, "failed")
            return {"msg_id": m.msg_id}
        if cmd == "sent":
            out = [m.as_json() for m in self.out.values()
                   if req.get("platform") in (None, m.platform) and req.get("bot") in (None, m.bot)
                   and req.get("number") in (None, m.number)]
            return {"messages": out}
        if cmd == "message":
            m = self.out.get(req["msg_id"]) or self.inbound.get(req["msg_id"])
            if m is None:
                raise ValueError(f"no message {req['msg_id']}")
            return {"message": m.as_json()}
        if cmd == "received":
            return {"messages": [m.as_json() for m in self.inbound.values()
                                 if req.get("platform") in (None, m.platform) and req.get("number") in (None, m.number)]}
        if cmd == "files":
            return {"files": [f.as_json() for f in self.files.values() if req.get("platform") in (None, f.platform)]}
        if cmd == "events":
            since = int(req.get("since", 0))
            kinds = req.get("kind")
            kinds = {kinds} if isinstance(kinds, str) else set(kinds or [])
            evs = [e for e in self.events if e["seq"] > since and (not kinds or e["kind"] in kinds)
                   and req.get("platform") in (None, e.get("platform"))]
            limit = int(req.get("limit", 0))
            return {"events": evs[-limit:] if limit else evs, "last": self.event_seq}
        if cmd == "set_fault":
            p = self._plat(req)
            kind = req.get("kind")
            if kind not in ("api_status", "api_delay", "webhook_drop", "webhook_delay"):
                raise ValueError("kind is api_status, api_delay, webhook_drop or webhook_delay")
            f = {k: v for k, v in req.items() if k not in ("cmd", "id", "platform")}
            f.setdefault("count", 1)
            p.faults.append(f)
            self.event("fault_set", platform=p.name, fault=f)
            return {"faults": p.faults}
        if cmd == "clear_faults":
            for p in self.platforms.values():
                if req.get("platform") in (None, p.name):
                    p.faults.clear()
            return {}
        if cmd == "faults":
            return {"faults": {p.name: p.faults for p in self.platforms.values()}}
        if cmd == "set_webhook":
            bot = self._bot(req)
            if "url" in req:
                bot.webhook = req["url"]
            if "token" in req:
                bot.webhook_token = req["token"]
            bot.wake.set()
            self.event("webhook_set", platform=bot.platform.name, bot=bot.id, url=bot.webhook)
            return {"bot": bot.id, "url": bot.webhook}
        if cmd == "webhook_raw":
            bot = self._bot(req)
            if "json" in req:
                body = json.dumps(req["json"]).encode()
            else:
                body = str(req.get("body", "")).encode()
            if "repeat" in req:   # a large body: `body` repeated
                body = body * int(req["repeat"])
            return await self.webhook_raw(bot, body, dict(req.get("headers") or {}), req.get("auth", "good"))
        if cmd == "validate_webhook":
            bot = self._bot(req)
            h = {"Authorization": bot.webhook_token} if bot.webhook_token else {}
            r = await http11.fetch("GET", bot.webhook, headers=h, timeout=10.0, ssl_context=self.webhook_ssl)
            self.event("webhook_validate", platform=bot.platform.name, bot=bot.id, status=r.status)
            return {"status": r.status}
        if cmd == "stop_listening":
            await self.stop_listening(self._plat(req))
            return {}
        if cmd == "start_listening":
            p = self._plat(req)
            await self.start_listening(p)
            return {"port": p.port}
        if cmd == "wait_idle":
            deadline = time.monotonic() + float(req.get("timeout", 10.0))
            while not self.idle():
                if time.monotonic() > deadline:
                    raise TimeoutError("not idle: webhooks or deliveries still pending")
                await asyncio.sleep(0.02)
            return {}
        if cmd == "shutdown":
            return {}
        raise ValueError(f"unknown command {cmd!r}")


def _copy_hash(src: str, dst: str) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    with open(src, "rb") as a, open(dst, "wb") as b:
        while True:
            piece = a.read(1024 * 1024)
            if not piece:
                break
            sha.update(piece)
            b.write(piece)
            size += len(piece)
    return size, sha.hexdigest()


def deterministic_chunks(size: int, seed: int, chunk: int = 1024 * 1024):
    """The pseudo-random content a phone sends for (size, seed): tests regenerate it."""
    rng = random.Random(seed)
    left = size
    while left > 0:
        n = min(chunk, left)
        yield rng.randbytes(n)
        left -= n


def _generate(dst: str, size: int, seed: int) -> tuple[int, str]:
    sha = hashlib.sha256()
    with open(dst, "wb") as f:
        for piece in deterministic_chunks(size, seed):
            sha.update(piece)
            f.write(piece)
    return size, sha.hexdigest()


# ---------------------------------------------------------------------------------

def load_config(args) -> dict:
    cfg: dict = {"platforms": [], "phones": []}
    if args.config:
        with open(args.config) as f:
            c = json.load(f)
        unknown = set(c) - {"platforms", "phones"}
        if unknown:
            raise ValueError(f"unknown top-level keys {sorted(unknown)}")
        cfg["platforms"] += c.get("platforms", [])
        cfg["phones"] += c.get("phones", [])
    for spec in args.platform:
        cfg["platforms"].append(json.loads(spec))
    for spec in args.phone:
        cfg["phones"].append(json.loads(spec))
    if not cfg["platforms"]:
        raise ValueError("no platform: give --config or --platform")
    return cfg


async def amain(args) -> int:
    ssl_ctx = None
    if args.tls_cert:
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ssl_ctx.load_cert_chain(args.tls_cert, args.tls_key or args.tls_cert)
    webhook_ssl = None
    if args.webhook_insecure:
        webhook_ssl = ssl.create_default_context()
        webhook_ssl.check_hostname = False
        webhook_ssl.verify_mode = ssl.CERT_NONE
    elif args.webhook_cafile:
        webhook_ssl = ssl.create_default_context(cafile=args.webhook_cafile)
    own_dir = args.data_dir is None
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="maap-server-")
    os.makedirs(data_dir, exist_ok=True)
    cfg = load_config(args)
    server = MaapServer(args.host, args.control_port, data_dir, ssl_ctx, webhook_ssl)
    for pc in cfg["platforms"]:
        server.add_platform(pc)
    for ph in cfg["phones"]:
        server.add_phone(ph)
    await server.start()
    ready = server.ready_info()
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(ready, f)
        os.replace(tmp, args.ready_file)
    print(json.dumps(ready), flush=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.shutdown()))
    await server.stopped.wait()
    await asyncio.sleep(0.05)
    if own_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    log.info("stopped")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="passerelle's RCS MaaP chatbot platform test server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--control-port", type=int, default=0, help="control channel port (0: any)")
    ap.add_argument("--config", help="JSON file: {\"platforms\": [...], \"phones\": [...]}")
    ap.add_argument("--platform", action="append", default=[], help="one platform as a JSON object (repeatable)")
    ap.add_argument("--phone", action="append", default=[], help="one phone as a JSON object (repeatable)")
    ap.add_argument("--data-dir", help="where files are stored (default: a temporary directory, removed at exit)")
    ap.add_argument("--tls-cert", help="PEM certificate (and key, unless --tls-key): serve HTTPS")
    ap.add_argument("--tls-key", help="PEM private key")
    ap.add_argument("--webhook-cafile", help="CA bundle to verify https webhooks")
    ap.add_argument("--webhook-insecure", action="store_true", help="do not verify https webhooks")
    ap.add_argument("--ready-file", help="write the ports as JSON here once listening")
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(amain(args))
    except (ValueError, OSError, ssl.SSLError) as e:
        print(f"maap-server: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
