"""The control channel's commands: JSON objects in, JSON objects out (README.md,
"Control channel"). `dispatch` runs one command against the server."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

from . import http11, maap
from .model import RUNTIME_KEYS, _norm_number

if TYPE_CHECKING:
    from .server import MaapServer


async def dispatch(self: "MaapServer", req: dict) -> dict:
    """One control command (README.md, "Control channel") -> its reply fields."""
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
        fields = {k: v for k, v in req.items() if k not in ("cmd", "id", "since", "kind", "limit")}
        evs = self.events.select(since, req.get("kind"), lambda e: all(e.get(k) == v for k, v in fields.items()))
        limit = int(req.get("limit", 0))
        return {"events": evs[-limit:] if limit else evs, "last": self.events.seq}
    if cmd == "set_fault":
        p = self._plat(req)
        kind = req.get("kind")
        if kind not in ("api_status", "api_delay", "answer_delay", "content_cut", "webhook_drop", "webhook_delay"):
            raise ValueError("kind is api_status, api_delay, answer_delay, content_cut, webhook_drop or "
                             "webhook_delay")
        f = {k: v for k, v in req.items() if k not in ("cmd", "id", "platform")}
        f.setdefault("count", 1)
        if kind == "content_cut":   # file content (`after` bytes of body, default half), not the API
            f.setdefault("path", "/content/")
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
