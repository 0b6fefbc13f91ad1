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
import hashlib
import json
import logging
import os
import re
import shutil
import ssl
import sys
import tempfile
import time
import traceback
import urllib.parse

if __package__ in (None, ""):  # run as a script: make `tests.peers.rcs` importable
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")))
    from tests.peers.common.channel import serve as serve_control  # noqa: E402
    from tests.peers.common.eventlog import EventLog  # noqa: E402
    from tests.peers.common.lifecycle import run_until_stopped, setup_logging  # noqa: E402
    from tests.peers.rcs import control, http11, maap  # noqa: E402
    from tests.peers.rcs.files import FileApi  # noqa: E402
    from tests.peers.rcs.webhooks import Webhooks  # noqa: E402
    from tests.peers.rcs.http11 import HttpError, Response  # noqa: E402
    from tests.peers.rcs.maap import ApiError  # noqa: E402
    from tests.peers.rcs.model import (MIB, Bot, InMessage, OutMessage, Phone, Platform, StoredFile,  # noqa: E402
                                       _norm_number)
else:
    from ..common.channel import serve as serve_control
    from ..common.eventlog import EventLog
    from ..common.lifecycle import run_until_stopped, setup_logging
    from . import control, http11, maap
    from .files import FileApi
    from .webhooks import Webhooks
    from .http11 import HttpError, Response
    from .maap import ApiError
    from .model import MIB, Bot, InMessage, OutMessage, Phone, Platform, StoredFile, _norm_number

log = logging.getLogger("maap-server")

KEEP_EVENTS = 20000
IDLE_TIMEOUT = 120.0             # an idle keep-alive connection is closed
LINGER_TIMEOUT = 10.0            # reading and dropping an unwanted body before closing


class MaapServer(FileApi, Webhooks):
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
        self.events = EventLog(log, KEEP_EVENTS)
        self.webhook_seq = 0
        self.timers: set[asyncio.Task] = set()
        self.conn_tasks: set[asyncio.Task] = set()
        self.control_server = None
        self.stopped = asyncio.Event()

    # -- event log ------------------------------------------------------------

    def event(self, kind: str, **fields) -> dict:
        return self.events.add(kind, **fields)

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
                if resp.close or not req.keep_alive or getattr(resp, "cut", False):
                    break   # a cut body (fault content_cut) ends the connection mid-answer
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
            fault = self._take_fault(p, req.path, ("answer_delay",))
            if fault:  # done, then answered late (the client may have given up by then)
                await asyncio.sleep(float(fault.get("delay", 1.0)))
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
                if p.cfg["reused_msg_id"] == "conflict":
                    raise ApiError(409, f"msgId {sreq.msg_id} is already in use")
                self.event("duplicate_send", platform=p.name, bot=bot.id, msg_id=prev.msg_id, number=number)
                return Response.json(int(p.cfg["send_status"]),
                                     {"RCSMessage": {"msgId": prev.msg_id, "status": prev.status, "timestamp": ts}})
            if sreq.msg_id in self.out or sreq.msg_id in self.inbound:
                raise ApiError(409, f"msgId {sreq.msg_id} is already in use")
        if not capable and p.cfg["noncapable_send"] == "reject":
            raise ApiError(404, "The user contact or chat ID cannot be found or the given user's device is not "
                                "RCS capable.")
        stored = external = thumb = None
        if sreq.kind in ("fileMessage", "audioMessage"):
            stored, external = self._resolve_file_ref(p, sreq.rcs[sreq.kind])
            thumb = self._resolve_thumbnail_ref(p, sreq.rcs[sreq.kind])
        msg = OutMessage(sreq.msg_id or maap.new_id(), p.name, bot.id, number, sreq.kind, obj, digest=digest,
                         file=stored.as_json() if stored else None, external_url=external, fail=not capable,
                         thumbnail=thumb.as_json() if thumb else None)
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

    def _resolve_thumbnail_ref(self, p: Platform, fm: dict) -> StoredFile | None:
        """The stored file a thumbnailUrl names on this platform (None for none or elsewhere)."""
        url = fm.get("thumbnailUrl")
        prefix = p.content_prefix()
        if not url or not url.startswith(prefix):
            return None
        f = self.files.get(url[len(prefix):].split("/", 1)[0])
        if f is None or f.deleted or f.platform != p.name:
            raise ApiError(400, f"thumbnailUrl refers to no stored file: {url}")
        if fm.get("thumbnailFileSize") is not None and fm["thumbnailFileSize"] != f.size:
            raise ApiError(400, f"thumbnailFileSize {fm['thumbnailFileSize']} does not match the stored "
                                f"file ({f.size} bytes)")
        return f

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
                   thumbnail=msg.thumbnail, external_url=msg.external_url)

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
        await serve_control(reader, writer, self.control, shutdown=self.shutdown, tasks=self.conn_tasks)

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
        return await control.dispatch(self, req)


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
    await run_until_stopped(server, ready, args.ready_file)
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
    setup_logging(args.log_level)
    try:
        return asyncio.run(amain(args))
    except (ValueError, OSError, ssl.SSLError) as e:
        print(f"maap-server: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
