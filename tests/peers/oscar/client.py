"""A small asyncio OSCAR client for tests: "the AIM buddy" / "the ICQ contact" that talks
to passerelle (through the test server) over the wire only.

    c = OscarClient("Bob Smith", "bobpw", "127.0.0.1", auth_port)
    await c.login()                      # BUCP MD5 (strong hash); login="md5-weak" / "roast"
    await c.add_buddy("alice")
    await c.send_im("alice", "héllo")   # charset chosen per text; waits for the host ack
    im = await c.wait_im(sender="alice")
    await c.close()

Every wait is bounded (timeout argument, default 5 s). With pace=True (the default) the
client keeps each rate class above its clear level, using the parameters the server
advertised (OSERVICE 0x0007) and every rate notification (0x000A) it sends.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from dataclasses import dataclass, field

from . import wire
from .wire import u16, u32, str8, tlv

DEFAULT_TIMEOUT = 5.0
CLIENT_ID = "passerelle OSCAR test client"


class OscarError(Exception):
    pass


class LoginError(OscarError):
    def __init__(self, code: int, message: str = ""):
        super().__init__(f"login refused with error 0x{code:04x} {message}".strip())
        self.code = code


class SnacError(OscarError):
    def __init__(self, family: int, code: int):
        super().__init__(f"SNAC error 0x{code:04x} in family 0x{family:04x}")
        self.family = family
        self.code = code


class Disconnected(OscarError):
    def __init__(self, code: int | None):
        super().__init__(f"disconnected by the server (code {code})")
        self.code = code


@dataclass
class IncomingIM:
    sender: str
    text: str
    charset: int
    cookie: bytes
    channel: int
    info: wire.UserInfo
    tlvs: list = field(default_factory=list)
    received: float = field(default_factory=time.monotonic)


@dataclass
class PacedClass:
    params: wire.RateClass
    level: float
    last: float


class FlapStream:
    """One TCP connection carrying FLAP frames."""

    def __init__(self, reader, writer, max_payload: int = 65535):
        self.reader, self.writer = reader, writer
        self.decoder = wire.FlapDecoder(max_payload)
        self.pending: list[wire.Flap] = []
        self.seq = int.from_bytes(os.urandom(2), "big") & 0x7FFF

    @classmethod
    async def connect(cls, host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> "FlapStream":
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        return cls(r, w)

    def send(self, channel: int, payload: bytes) -> None:
        self.seq = (self.seq + 1) & 0xFFFF
        self.writer.write(wire.encode_flap(channel, self.seq, payload))

    def send_snac(self, family: int, subtype: int, data: bytes = b"", request_id: int = 0, flags: int = 0) -> None:
        self.send(wire.CH_DATA, wire.encode_snac(family, subtype, data, request_id, flags))

    async def read(self, timeout: float | None = DEFAULT_TIMEOUT) -> wire.Flap | None:
        """The next frame, or None at end of stream."""
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                return None
            self.pending += self.decoder.feed(data)
        return self.pending.pop(0)

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001
            pass


class OscarClient:
    def __init__(self, screen_name: str, password: str, host: str, auth_port: int, *, login: str = "md5-strong",
                 pace: bool = True, icq_status: int | None = None, profile: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.screen_name = screen_name
        self.norm = wire.normalize_sn(screen_name)
        self.password = password
        self.host, self.auth_port = host, auth_port
        self.login_method = login
        self.pace = pace
        self.icq_status = icq_status if icq_status is not None else (wire.ICQ_ONLINE if wire.is_uin(self.norm) else None)
        self.profile = profile
        self.timeout = timeout
        self.bos: FlapStream | None = None
        self.bos_address: str | None = None
        self.reqid = 0
        self.pending: dict[int, tuple[asyncio.Future, list]] = {}
        self.changed = asyncio.Condition()
        self.reader_task: asyncio.Task | None = None
        self.closed = asyncio.Event()
        self.disconnect_code: int | None = None
        # what the server told us
        self.families: list[int] = []
        self.rate_classes: dict[int, PacedClass] = {}
        self.rate_members: dict[tuple[int, int], int] = {}
        self.rate_notes: list[tuple[int, wire.RateClass]] = []
        self.self_info: wire.UserInfo | None = None
        self.ssi_items: list[wire.SsiItem] = []
        self.ssi_time = 0
        self.buddies: dict[str, wire.UserInfo] = {}
        self.arrivals: list[wire.UserInfo] = []
        self.departures: list[wire.UserInfo] = []
        self.ims: list[IncomingIM] = []
        self.typing: list[tuple[str, int]] = []
        self.errors: list[tuple[int, int, int]] = []       # (family, code, request id) not awaited
        self.auth_requests: list[tuple[str, str]] = []
        self.auth_replies: list[tuple[str, bool, str]] = []
        self.future_grants: list[tuple[str, str]] = []
        self.added_by: list[str] = []
        self.warnings: list[tuple[int, str | None]] = []    # (new level, warner or None if anonymous)
        self.icbm_params = wire.IcbmParams(0, 0x0000000B, 8000, 999, 999, 0)
        self.unknown: list[wire.Snac] = []

    # -- login ----------------------------------------------------------------

    async def login(self) -> "OscarClient":
        cookie, address = await (self._roast_login() if self.login_method == "roast" else self._md5_login())
        self.bos_address = address
        host, _, port = address.rpartition(":")
        await self._bos_signon(host or self.host, int(port), cookie)
        return self

    async def _expect_hello(self, s: FlapStream) -> None:
        f = await s.read(self.timeout)
        if f is None or f.channel != wire.CH_SIGNON:
            raise OscarError(f"expected the server's channel-1 hello, got {f}")

    async def _md5_login(self) -> tuple[bytes, str]:
        s = await FlapStream.connect(self.host, self.auth_port, self.timeout)
        try:
            await self._expect_hello(s)
            s.send(wire.CH_SIGNON, wire.FLAP_VERSION)
            s.send_snac(wire.BUCP, 0x0006, tlv(1, self.screen_name), 1)
            snac = await self._read_snac(s)
            if snac.subtype == 0x0003:
                self._login_reply(snac.data)
            if snac.key() != (wire.BUCP, 0x0007):
                raise OscarError(f"expected BUCP challenge response, got {snac}")
            key = wire.Reader(snac.data, "challenge").str16()
            pw = self.password.encode("latin-1")
            strong = self.login_method != "md5-weak"
            digest = wire.strong_md5(key, pw) if strong else wire.weak_md5(key, pw)
            body = (tlv(1, self.screen_name) + tlv(0x25, digest) + (tlv(0x4C) if strong else b"")
                    + self._client_tlvs())
            s.send_snac(wire.BUCP, 0x0002, body, 2)
            snac = await self._read_snac(s)
            if snac.key() != (wire.BUCP, 0x0003):
                raise OscarError(f"expected BUCP login response, got {snac}")
            result = self._login_reply(snac.data)
            s.send(wire.CH_SIGNOFF, b"")
            return result
        finally:
            s.close()

    def _client_tlvs(self) -> bytes:
        return (tlv(3, CLIENT_ID) + tlv(0x16, 0x0109) + tlv(0x17, 5) + tlv(0x18, 9) + tlv(0x19, 0)
                + tlv(0x1A, 3702) + tlv(0x14, u32(0x0111)) + tlv(0x0F, "en") + tlv(0x0E, "us"))

    @staticmethod
    def _login_reply(data: bytes) -> tuple[bytes, str]:
        d = wire.tlv_dict(wire.decode_tlvs(data)[0])
        if 0x0008 in d:
            raise LoginError(wire.tlv_u16(d, 0x0008), d.get(0x0004, b"").decode("latin-1"))
        if 0x0005 not in d or 0x0006 not in d:
            raise OscarError("login response without BOS address or cookie")
        return d[0x0006], d[0x0005].decode("latin-1")

    async def _read_snac(self, s: FlapStream) -> wire.Snac:
        while True:
            f = await s.read(self.timeout)
            if f is None:
                raise OscarError("connection closed during login")
            if f.channel == wire.CH_DATA:
                return wire.decode_snac(f.payload)
            if f.channel == wire.CH_SIGNOFF:
                raise OscarError("server signed off during login")

    async def _roast_login(self) -> tuple[bytes, str]:
        s = await FlapStream.connect(self.host, self.auth_port, self.timeout)
        try:
            await self._expect_hello(s)
            s.send(wire.CH_SIGNON, wire.FLAP_VERSION + tlv(1, self.screen_name)
                   + tlv(2, wire.roast(self.password.encode("latin-1"))) + self._client_tlvs())
            while True:
                f = await s.read(self.timeout)
                if f is None:
                    raise OscarError("connection closed before the channel-4 login reply")
                if f.channel == wire.CH_SIGNOFF:
                    return self._login_reply(f.payload)
        finally:
            s.close()

    async def _bos_signon(self, host: str, port: int, cookie: bytes) -> None:
        self.bos = await FlapStream.connect(host, port, self.timeout)
        await self._expect_hello(self.bos)
        self.bos.send(wire.CH_SIGNON, wire.FLAP_VERSION + tlv(6, cookie))
        f = await self.bos.read(self.timeout)
        if f is None or f.channel == wire.CH_SIGNOFF:
            code = wire.tlv_u16(wire.tlv_dict(wire.decode_tlvs(f.payload)[0]), 9) if f else None
            raise Disconnected(code)
        snac = wire.decode_snac(f.payload)
        if snac.key() != (wire.OSERVICE, 0x0003):
            raise OscarError(f"expected OSERVICE host online, got {snac}")
        r = wire.Reader(snac.data)
        while not r.at_end():
            self.families.append(r.u16())
        self.reader_task = asyncio.ensure_future(self._reader())
        await self.request(wire.OSERVICE, 0x0017, wire.encode_versions(
            [(wire.OSERVICE, 4), (wire.LOCATE, 1), (wire.BUDDY, 1), (wire.ICBM, 1), (wire.PRIVACY, 1),
             (wire.FEEDBAG, 4), (wire.ICQ, 1)]), pace=False)
        rates = await self.request(wire.OSERVICE, 0x0006, pace=False)
        classes, members = wire.decode_rate_params(rates.data)
        t = time.monotonic() * 1000
        for c in classes:
            self.rate_classes[c.id] = PacedClass(c, float(c.current if c.current is not None else c.max), t)
        for cid, pairs in members.items():
            for p in pairs:
                self.rate_members[p] = cid
        self.send_snac(wire.OSERVICE, 0x0008, b"".join(u16(c.id) for c in classes))
        self.self_info = wire.decode_user_info(wire.Reader((await self.request(wire.OSERVICE, 0x000E)).data))
        for fam, sub in ((wire.LOCATE, 0x02), (wire.BUDDY, 0x02), (wire.ICBM, 0x04), (wire.PRIVACY, 0x02),
                         (wire.FEEDBAG, 0x02)):
            await self.request(fam, sub)
        await self.refresh_ssi()
        self.send_snac(wire.FEEDBAG, 0x0007)
        info = tlv(5, bytes.fromhex("094613494c7f11d18222444553540000"))  # ICQ/AIM interoperation capability
        if self.profile is not None:
            info = tlv(1, 'text/aolrtf; charset="us-ascii"') + tlv(2, self.profile) + info
        self.send_snac(wire.LOCATE, 0x0004, info)
        self.send_snac(wire.ICBM, 0x0002, wire.encode_icbm_params(self.icbm_params))
        if self.icq_status is not None:
            await self.set_status(self.icq_status)
        self.send_snac(wire.OSERVICE, 0x0002, wire.encode_client_online(
            [(f, 1 if f != wire.OSERVICE else 4, 0x0110, 0x164F) for f in self.families]))
        await self._drain()

    # -- reading --------------------------------------------------------------

    async def _reader(self) -> None:
        try:
            while True:
                f = await self.bos.read(None)
                if f is None:
                    break
                if f.channel == wire.CH_SIGNOFF:
                    d = wire.tlv_dict(wire.decode_tlvs(f.payload)[0]) if f.payload else {}
                    self.disconnect_code = wire.tlv_u16(d, 0x0009)
                    break
                if f.channel == wire.CH_DATA:
                    self._on_snac(wire.decode_snac(f.payload))
                    async with self.changed:
                        self.changed.notify_all()
        except (ConnectionError, wire.WireError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed.set()
            for fut, _ in self.pending.values():
                if not fut.done():
                    fut.set_exception(Disconnected(self.disconnect_code))
            async with self.changed:
                self.changed.notify_all()

    def _on_snac(self, s: wire.Snac) -> None:
        key = s.key()
        waiter = self.pending.get(s.request_id) if s.request_id else None
        if waiter is not None and key not in ((wire.ICBM, 0x0007), (wire.BUDDY, 0x000B), (wire.BUDDY, 0x000C)):
            fut, parts = waiter
            if s.subtype == 0x0001:
                del self.pending[s.request_id]
                if not fut.done():
                    fut.set_exception(SnacError(s.family, wire.Reader(s.data).u16() if len(s.data) >= 2 else 0))
                return
            parts.append(s)
            if not s.flags & wire.SNAC_FLAG_MORE:
                del self.pending[s.request_id]
                if not fut.done():
                    fut.set_result(parts)
            if key == (wire.OSERVICE, 0x000F):
                self.self_info = wire.decode_user_info(wire.Reader(s.data))
            return
        if s.subtype == 0x0001:
            self.errors.append((s.family, wire.Reader(s.data).u16() if len(s.data) >= 2 else 0, s.request_id))
        elif key == (wire.ICBM, 0x0007):
            m = wire.decode_icbm_incoming(s.data)
            txt = m.text() if m.channel == 1 else None
            self.ims.append(IncomingIM(m.screen_name, txt[0] if txt else "", txt[1] if txt else -1, m.cookie,
                                       m.channel, m.sender, m.tlvs))
        elif key == (wire.ICBM, 0x0014):
            _, _, sn, event = wire.decode_typing(s.data)
            self.typing.append((wire.normalize_sn(sn), event))
        elif key == (wire.BUDDY, 0x000B):
            r = wire.Reader(s.data)
            while not r.at_end():
                info = wire.decode_user_info(r)
                self.buddies[wire.normalize_sn(info.screen_name)] = info
                self.arrivals.append(info)
        elif key == (wire.BUDDY, 0x000C):
            r = wire.Reader(s.data)
            while not r.at_end():
                info = wire.decode_user_info(r)
                self.buddies.pop(wire.normalize_sn(info.screen_name), None)
                self.departures.append(info)
        elif key == (wire.OSERVICE, 0x000A):
            code, cls = wire.decode_rate_change(s.data)
            self.rate_notes.append((code, cls))
            pc = self.rate_classes.get(cls.id)
            if pc is None:
                self.rate_classes[cls.id] = PacedClass(cls, float(cls.current), time.monotonic() * 1000)
            else:
                pc.params = cls
                pc.level = min(pc.level, float(cls.current))
        elif key == (wire.OSERVICE, 0x000F):
            self.self_info = wire.decode_user_info(wire.Reader(s.data))
        elif key == (wire.OSERVICE, 0x0010):
            level, warner = wire.decode_evil_notification(s.data)
            self.warnings.append((level, warner.screen_name if warner is not None else None))
        elif key == (wire.FEEDBAG, 0x0019):
            self.auth_requests.append(wire.decode_auth_request(s.data))
        elif key == (wire.FEEDBAG, 0x001B):
            self.auth_replies.append(wire.decode_auth_reply(s.data))
        elif key == (wire.FEEDBAG, 0x0015):
            self.future_grants.append(wire.decode_auth_request(s.data))
        elif key == (wire.FEEDBAG, 0x001C):
            self.added_by.append(wire.Reader(s.data).str8().decode("latin-1"))
        else:
            self.unknown.append(s)

    async def wait_for(self, predicate, timeout: float | None = None, what: str = "condition"):
        """Waits until predicate() is truthy (re-checked after every SNAC) and returns it."""
        async def waiter():
            async with self.changed:
                while True:
                    v = predicate()
                    if v:
                        return v
                    if self.closed.is_set():
                        raise Disconnected(self.disconnect_code)
                    await self.changed.wait()
        try:
            return await asyncio.wait_for(waiter(), timeout or self.timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(f"{self.screen_name}: timed out waiting for {what}") from None

    async def wait_closed(self, timeout: float | None = None) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout or self.timeout)
        return self.disconnect_code

    # -- sending --------------------------------------------------------------

    def next_reqid(self) -> int:
        self.reqid = (self.reqid + 1) & 0x7FFFFFFF or 1
        return self.reqid

    async def _pace(self, family: int, subtype: int) -> None:
        cid = self.rate_members.get((family, subtype))
        pc = self.rate_classes.get(cid) if cid is not None else None
        if pc is None:
            return
        c = pc.params
        target = min(float(c.max), float(c.clear) + 1.0)
        while True:
            t = time.monotonic() * 1000
            delta = t - pc.last
            new = wire.rate_level(pc.level, delta, c.window, c.max)
            if new >= target or new >= c.max:
                pc.level, pc.last = new, t
                return
            need = c.window * target - (c.window - 1) * pc.level - delta
            await asyncio.sleep(max(need, 1.0) / 1000.0)

    def send_snac(self, family: int, subtype: int, data: bytes = b"", request_id: int | None = None) -> int:
        """Sends at once (no pacing); use `send()` for a paced send."""
        if self.bos is None or self.closed.is_set():
            raise Disconnected(self.disconnect_code)
        rid = self.next_reqid() if request_id is None else request_id
        self.bos.send_snac(family, subtype, data, rid)
        self._account_rate(family, subtype)
        return rid

    def _account_rate(self, family: int, subtype: int) -> None:
        cid = self.rate_members.get((family, subtype))
        pc = self.rate_classes.get(cid) if cid is not None else None
        if pc is not None:
            t = time.monotonic() * 1000
            if pc.last < t:
                pc.level = wire.rate_level(pc.level, t - pc.last, pc.params.window, pc.params.max)
                pc.last = t

    async def send(self, family: int, subtype: int, data: bytes = b"", pace: bool | None = None) -> int:
        if self.pace if pace is None else pace:
            await self._pace(family, subtype)
            rid = self.next_reqid()
            self.bos.send_snac(family, subtype, data, rid)
            return rid
        return self.send_snac(family, subtype, data)

    async def request(self, family: int, subtype: int, data: bytes = b"", *, pace: bool | None = None,
                      timeout: float | None = None, multi: bool = False):
        """Sends a SNAC and waits for the reply with its request id (raises SnacError
        on an error reply). multi=True returns every part of a multi-part reply."""
        fut = asyncio.get_running_loop().create_future()
        if self.bos is None or self.closed.is_set():
            raise Disconnected(self.disconnect_code)
        if self.pace if pace is None else pace:
            await self._pace(family, subtype)
        else:
            self._account_rate(family, subtype)
        rid = self.next_reqid()
        self.pending[rid] = (fut, [])
        self.bos.send_snac(family, subtype, data, rid)
        try:
            parts = await asyncio.wait_for(fut, timeout or self.timeout)
        finally:
            self.pending.pop(rid, None)
        return parts if multi else parts[0]

    async def _drain(self) -> None:
        if self.bos is not None:
            try:
                await self.bos.writer.drain()
            except ConnectionError:
                pass

    # -- features -------------------------------------------------------------

    async def send_im(self, to: str, text: str, *, charset: int | None = None, ack: bool = True,
                      offline: bool = False, pace: bool | None = None) -> bytes:
        """Channel-1 IM; with ack=True waits for the host ack (raises SnacError, e.g.
        code 0x0004 when the recipient is not logged on). Returns the ICBM cookie."""
        cookie = os.urandom(8)
        data = wire.encode_icbm_send(cookie, to, text, charset=charset, ack=ack, offline=offline)
        if ack:
            await self.request(wire.ICBM, 0x0006, data, pace=pace)
        else:
            await self.send(wire.ICBM, 0x0006, data, pace=pace)
            await self._drain()
        return cookie

    async def wait_im(self, sender: str | None = None, text: str | None = None, timeout: float | None = None) -> IncomingIM:
        want = wire.normalize_sn(sender) if sender else None

        def find():
            for im in self.ims:
                if (want is None or wire.normalize_sn(im.sender) == want) and (text is None or im.text == text):
                    self.ims.remove(im)
                    return im
            return None
        return await self.wait_for(find, timeout, f"an IM from {sender or 'anyone'}")

    async def typing_notify(self, to: str, event: int) -> None:
        await self.send(wire.ICBM, 0x0014, wire.encode_typing(b"\0" * 8, to, event))
        await self._drain()

    async def set_away(self, message: str, mime: str = 'text/aolrtf; charset="us-ascii"') -> None:
        """An empty message comes back from away."""
        self.send_snac(wire.LOCATE, 0x0004, tlv(3, mime) + tlv(4, message.encode("utf-8")))
        await self._drain()

    async def set_status(self, status: int) -> None:
        await self.request(wire.OSERVICE, 0x001E, tlv(6, u32(status)))

    async def get_info(self, sn: str) -> tuple[wire.UserInfo, dict[int, bytes]]:
        """LOCATE user info (0x0015 with the away-message flag)."""
        reply = await self.request(wire.LOCATE, 0x0015, u32(0x00000002) + str8(sn))
        r = wire.Reader(reply.data)
        info = wire.decode_user_info(r)
        return info, wire.tlv_dict(wire.decode_tlvs(r.rest())[0])

    async def wait_buddy(self, sn: str, predicate=None, timeout: float | None = None) -> wire.UserInfo:
        """Waits until `sn` is online (and predicate(info) holds)."""
        n = wire.normalize_sn(sn)
        return await self.wait_for(lambda: (self.buddies.get(n) if n in self.buddies and
                                            (predicate is None or predicate(self.buddies[n])) else None),
                                   timeout, f"{sn} online")

    async def wait_departure(self, sn: str, timeout: float | None = None) -> None:
        n = wire.normalize_sn(sn)
        await self.wait_for(lambda: n not in self.buddies and any(wire.normalize_sn(d.screen_name) == n
                                                                 for d in self.departures), timeout, f"{sn} offline")

    async def warn(self, sn: str, anonymous: bool = False) -> tuple[int, int]:
        """Warns `sn` (ICBM 0x0008), who must have sent us a message recently. Returns
        (level gained, their new level), in tenths of a percent; raises SnacError (0x000D
        request denied, 0x0004 not logged on)."""
        reply = await self.request(wire.ICBM, 0x0008, wire.encode_evil_request(sn, anonymous))
        return wire.decode_evil_reply(reply.data)

    async def wait_warning(self, level: int | None = None, timeout: float | None = None) -> tuple[int, str | None]:
        """The next evil notification (OSERVICE 0x0010) received, with `level` if given."""
        def find():
            for w in self.warnings:
                if level is None or w[0] == level:
                    self.warnings.remove(w)
                    return w
            return None
        return await self.wait_for(find, timeout, "a warning")

    async def set_icbm_params(self, **changes) -> None:
        """ICBM 0x0002 with the fields of wire.IcbmParams given, e.g. max_sender_warn=100:
        the server then refuses our messages from senders warned above 10%."""
        for k, v in changes.items():
            if not hasattr(self.icbm_params, k):
                raise TypeError(f"no ICBM parameter {k!r}")
            setattr(self.icbm_params, k, v)
        self.send_snac(wire.ICBM, 0x0002, wire.encode_icbm_params(self.icbm_params))
        await self.request(wire.ICBM, 0x0004)  # answered after 0x0002 took effect

    async def keepalive(self) -> None:
        self.bos.send(wire.CH_KEEPALIVE, b"")
        await self._drain()

    # SSI
    async def refresh_ssi(self) -> list[wire.SsiItem]:
        reply = await self.request(wire.FEEDBAG, 0x0004)
        self.ssi_items, self.ssi_time = wire.decode_ssi_list(reply.data)
        return self.ssi_items

    def _ssi_find(self, cls: int, name: str | None = None, gid: int | None = None) -> wire.SsiItem | None:
        for i in self.ssi_items:
            if i.cls == cls and (name is None or wire.normalize_sn(i.name) == wire.normalize_sn(name)) \
                    and (gid is None or i.group_id == gid):
                return i
        return None

    def _free_id(self, used) -> int:
        n = 1
        while n in used:
            n += 1
        return n

    async def _ssi_op(self, subtype: int, items: list[wire.SsiItem]) -> list[int]:
        reply = await self.request(wire.FEEDBAG, subtype, b"".join(wire.encode_ssi_item(i) for i in items))
        r = wire.Reader(reply.data)
        return [r.u16() for _ in range(len(items))]

    async def _ensure_group(self, name: str) -> wire.SsiItem:
        g = self._ssi_find(wire.SSI_GROUP, name)
        if g is not None and g.group_id != 0:
            return g
        root = self._ssi_find(wire.SSI_GROUP, gid=0)
        gid = self._free_id({i.group_id for i in self.ssi_items})
        g = wire.SsiItem(name, gid, 0, wire.SSI_GROUP, [(wire.SSI_TLV_MEMBERS, b"")])
        if root is None:
            root = wire.SsiItem("", 0, 0, wire.SSI_GROUP, [(wire.SSI_TLV_MEMBERS, u16(gid))])
            codes = await self._ssi_op(0x0008, [root, g])
        else:
            members = root.d.get(wire.SSI_TLV_MEMBERS, b"") + u16(gid)
            root = wire.SsiItem("", 0, 0, wire.SSI_GROUP, [(wire.SSI_TLV_MEMBERS, members)])
            codes = await self._ssi_op(0x0008, [g]) + await self._ssi_op(0x0009, [root])
        if any(codes):
            raise OscarError(f"could not create group {name!r}: {codes}")
        self.ssi_items = [i for i in self.ssi_items if not (i.cls == wire.SSI_GROUP and i.group_id == 0)] + [root, g]
        return g

    async def add_buddy(self, sn: str, group: str = "Buddies", awaiting_auth: bool = False,
                        alias: str | None = None) -> int:
        """Adds a buddy item (and updates its group); returns the FEEDBAG status code
        (0 ok, 0x0E authorization required, 0x03 exists...)."""
        self.send_snac(wire.FEEDBAG, 0x0011)
        try:
            g = await self._ensure_group(group)
            iid = self._free_id({i.item_id for i in self.ssi_items if i.group_id == g.group_id})
            tlvs = []
            if awaiting_auth:
                tlvs.append((wire.SSI_TLV_AWAITING_AUTH, b""))
            if alias:
                tlvs.append((wire.SSI_TLV_ALIAS, alias.encode("utf-8")))
            item = wire.SsiItem(sn, g.group_id, iid, wire.SSI_BUDDY, tlvs)
            code = (await self._ssi_op(0x0008, [item]))[0]
            if code == wire.SSI_OK:
                self.ssi_items.append(item)
                await self._update_group_members(g.group_id)
            return code
        finally:
            self.send_snac(wire.FEEDBAG, 0x0012)

    async def _update_group_members(self, gid: int) -> None:
        g = next(i for i in self.ssi_items if i.cls == wire.SSI_GROUP and i.group_id == gid)
        members = b"".join(u16(i.item_id) for i in self.ssi_items if i.group_id == gid and i.cls == wire.SSI_BUDDY)
        new = wire.SsiItem(g.name, gid, 0, wire.SSI_GROUP, [(wire.SSI_TLV_MEMBERS, members)])
        await self._ssi_op(0x0009, [new])
        self.ssi_items = [new if i is g else i for i in self.ssi_items]

    async def remove_buddy(self, sn: str) -> int:
        item = self._ssi_find(wire.SSI_BUDDY, sn)
        if item is None:
            return wire.SSI_NOT_FOUND
        self.send_snac(wire.FEEDBAG, 0x0011)
        try:
            code = (await self._ssi_op(0x000A, [item]))[0]
            if code == wire.SSI_OK:
                self.ssi_items.remove(item)
                await self._update_group_members(item.group_id)
            return code
        finally:
            self.send_snac(wire.FEEDBAG, 0x0012)

    async def clear_awaiting_auth(self, sn: str) -> int:
        item = self._ssi_find(wire.SSI_BUDDY, sn)
        if item is None:
            return wire.SSI_NOT_FOUND
        new = wire.SsiItem(item.name, item.group_id, item.item_id, item.cls,
                           [(t, v) for t, v in item.tlvs if t != wire.SSI_TLV_AWAITING_AUTH])
        code = (await self._ssi_op(0x0009, [new]))[0]
        if code == wire.SSI_OK:
            self.ssi_items = [new if i is item else i for i in self.ssi_items]
        return code

    # ICQ authorization
    async def auth_request(self, sn: str, reason: str = "") -> None:
        await self.send(wire.FEEDBAG, 0x0018, wire.encode_auth_request(sn, reason))
        await self._drain()

    async def auth_reply(self, sn: str, accept: bool, reason: str = "") -> None:
        await self.send(wire.FEEDBAG, 0x001A, wire.encode_auth_reply(sn, accept, reason))
        await self._drain()

    async def grant_future_auth(self, sn: str, reason: str = "") -> None:
        await self.send(wire.FEEDBAG, 0x0014, wire.encode_auth_request(sn, reason))
        await self._drain()

    # ICQ offline messages
    async def fetch_offline(self) -> list[wire.OfflineMessage]:
        meta = wire.IcqMeta(int(self.norm), wire.META_OFFLINE_REQ, self.next_reqid() & 0xFFFF)
        parts = await self.request(wire.ICQ, 0x0002, wire.encode_icq_meta(meta), multi=True)
        out = []
        for p in parts:
            m = wire.decode_icq_meta(p.data)
            if m.type == wire.META_OFFLINE_MSG:
                out.append(wire.decode_offline_message(m.data))
        return out

    async def delete_offline(self) -> None:
        meta = wire.IcqMeta(int(self.norm), wire.META_OFFLINE_DEL, self.next_reqid() & 0xFFFF)
        await self.send(wire.ICQ, 0x0002, wire.encode_icq_meta(meta))
        await self._drain()

    # -- closing --------------------------------------------------------------

    async def close(self) -> None:
        if self.bos is not None and not self.closed.is_set():
            try:
                self.bos.send(wire.CH_SIGNOFF, b"")
                await self._drain()
            except (ConnectionError, RuntimeError):
                pass
        if self.bos is not None:
            self.bos.close()
        if self.reader_task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.reader_task), 2.0)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                self.reader_task.cancel()
