"""Webhook delivery to the chatbot: one ordered queue per bot, each event POSTed with
the bot's shared secret as the Authorization header, retried on anything but a 2xx
(connection errors and timeouts included) with exponential backoff, every attempt and
the status the chatbot answered recorded in the event log."""

from __future__ import annotations

import asyncio
import json
import time

from . import http11
from .model import Bot


class Webhooks:
    """Mixed into MaapServer."""

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
