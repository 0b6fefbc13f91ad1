"""passerelle's OSCAR (AIM/ICQ) test server: an authorization service (BUCP MD5 login and
the old ICQ channel-1 login), a BOS service (presence, IMs, typing, SSI, ICQ offline
messages, rate limits, warnings) and a JSON-lines control channel for tests. Loopback only.

    python3 -m tests.peers.oscar.server --port 0 --bos-port 0 --control-port 0 \
        --account alice:secret --account 123456789:icqpass:auth

prints one JSON line when listening: {"auth_port": .., "bos_port": .., "control_port": .., "pid": ..}
(also written to --ready-file). See README.md for the control protocol.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import os
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field

if __package__ in (None, ""):  # run as a script: make `tests.peers.oscar` importable
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")))
    from tests.peers.common.channel import serve as serve_control  # noqa: E402
    from tests.peers.common.eventlog import EventLog  # noqa: E402
    from tests.peers.common.lifecycle import run_until_stopped, setup_logging  # noqa: E402
    from tests.peers.oscar import wire  # noqa: E402
    from tests.peers.oscar.wire import u8, u16, u32, str8, str16, tlv  # noqa: E402
else:
    from ..common.channel import serve as serve_control
    from ..common.eventlog import EventLog
    from ..common.lifecycle import run_until_stopped, setup_logging
    from . import wire
    from .wire import u8, u16, u32, str8, str16, tlv

log = logging.getLogger("oscar-server")

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
COOKIE_TTL = 60.0
BOS_FAMILIES = [wire.OSERVICE, wire.LOCATE, wire.BUDDY, wire.ICBM, wire.PRIVACY, wire.FEEDBAG, wire.ICQ]
FAMILY_VERSIONS = {wire.OSERVICE: 4, wire.LOCATE: 1, wire.BUDDY: 1, wire.ICBM: 1, wire.PRIVACY: 1,
                   wire.FEEDBAG: 4, wire.ICQ: 1}
SSI_MAX_ITEMS = [400, 61, 200, 200, 1, 1, 150, 12, 12, 0, 50, 50, 0, 0, 0, 0, 0, 0, 0, 0]
MAX_CLIENT_BUDDIES = 400
ICBM_RATE_CLASS = 3
# Warnings (ICBM 0x0008), in tenths of a percent: what a named and an anonymous warning
# add (Shutko: 15% and 3%), and how many distinct recent senders the server remembers per
# user (one may only warn someone who recently sent one a message).
WARN_NAMED, WARN_ANONYMOUS = 150, 30
RECENT_SENDERS_KEPT = 16

# Rate classes: window, clear, alert, limit, disconnect, max (levels in milliseconds).
# Class 3 has the parameters of the documents' OSERVICE 0x000A example; it holds the
# SNACs that reach other users (ICBM sends, authorization requests).
DEFAULT_RATE_CLASSES = [
    wire.RateClass(1, 80, 2500, 2000, 1500, 800, 6000),
    wire.RateClass(2, 80, 3000, 2000, 1500, 1000, 6000),
    wire.RateClass(3, 20, 5100, 5000, 4000, 3000, 6000),
    wire.RateClass(4, 20, 5500, 5300, 4200, 3000, 8000),
    wire.RateClass(5, 10, 5500, 5300, 4200, 3000, 8000),
]
RATE_MEMBERS_EXPLICIT = {
    3: [(wire.ICBM, 0x0006), (wire.ICBM, 0x0008), (wire.FEEDBAG, 0x0018), (wire.FEEDBAG, 0x0014)],
    2: [(wire.LOCATE, 0x0005), (wire.LOCATE, 0x0015), (wire.LOCATE, 0x000B)],
    4: [(wire.LOCATE, 0x0004), (wire.OSERVICE, 0x001E)],
    5: [(wire.ICQ, 0x0002)],
}
KNOWN_SNACS = {
    wire.OSERVICE: [0x02, 0x04, 0x06, 0x08, 0x0E, 0x11, 0x17, 0x1E],
    wire.LOCATE: [0x02, 0x04, 0x05, 0x0B, 0x15],
    wire.BUDDY: [0x02, 0x04, 0x05],
    wire.ICBM: [0x02, 0x04, 0x06, 0x08, 0x14],
    wire.PRIVACY: [0x02],
    wire.FEEDBAG: [0x02, 0x04, 0x05, 0x07, 0x08, 0x09, 0x0A, 0x11, 0x12, 0x14, 0x18, 0x1A],
    wire.ICQ: [0x02],
}


def now_ms() -> float:
    return time.monotonic() * 1000.0


@dataclass
class Account:
    screen_name: str
    password: str
    auth_required: bool = False
    warning: int = 0        # tenths of a percent; kept for the life of the server, no decay

    @property
    def norm(self) -> str:
        return wire.normalize_sn(self.screen_name)

    @property
    def icq(self) -> bool:
        return wire.is_uin(self.norm)


@dataclass
class Feedbag:
    items: dict = field(default_factory=dict)  # (group id, item id) -> SsiItem
    last_modified: int = 0

    def touch(self) -> None:
        self.last_modified = max(int(time.time()), self.last_modified + 1)

    def buddies(self) -> set[str]:
        return {wire.normalize_sn(i.name) for i in self.items.values() if i.cls == wire.SSI_BUDDY}


class ProtocolError(Exception):
    """The peer broke the protocol; the connection is closed with this reason."""


# ---------------------------------------------------------------------------------

class Conn:
    kind = "conn"

    def __init__(self, server: "OscarServer", reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.id = server.next_conn_id()
        self.decoder = wire.FlapDecoder(server.max_frame)
        self.out_seq = (self.id * 7919) & 0x7FFF
        self.closed = False
        self.user: str | None = None
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"

    def send_flap(self, channel: int, payload: bytes) -> None:
        if self.closed:
            return
        self.out_seq = (self.out_seq + 1) & 0xFFFF
        self.server.record_frame(self, "out", channel, payload)
        self.writer.write(wire.encode_flap(channel, self.out_seq, payload))

    def send_snac(self, family: int, subtype: int, data: bytes = b"", request_id: int = 0, flags: int = 0) -> None:
        self.send_flap(wire.CH_DATA, wire.encode_snac(family, subtype, data, request_id, flags))

    def send_error(self, family: int, request_id: int, code: int) -> None:
        self.send_snac(family, 0x0001, u16(code), request_id)

    def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        log.info("conn %d (%s %s%s) closed: %s", self.id, self.kind, self.peer,
                 f" {self.user}" if self.user else "", reason)
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001 - closing a dead socket
            pass

    async def run(self) -> None:
        log.info("conn %d (%s) from %s", self.id, self.kind, self.peer)
        try:
            self.send_flap(wire.CH_SIGNON, wire.FLAP_VERSION)
            while not self.closed:
                data = await self.reader.read(65536)
                if not data:
                    self.close("peer closed the connection")
                    break
                try:
                    frames = self.decoder.feed(data)
                except wire.WireError as e:
                    self.server.event("protocol_error", conn=self.id, user=self.user, service=self.kind, reason=str(e))
                    log.warning("conn %d: bad framing: %s", self.id, e)
                    self.close(f"bad framing: {e}")
                    break
                for f in frames:
                    if self.closed:
                        break
                    self.server.record_frame(self, "in", f.channel, f.payload)
                    try:
                        await self.on_frame(f)
                    except (wire.WireError, ProtocolError) as e:
                        self.server.event("protocol_error", conn=self.id, user=self.user, service=self.kind, reason=str(e))
                        log.warning("conn %d: protocol error: %s", self.id, e)
                        self.close(f"protocol error: {e}")
                try:
                    await self.writer.drain()
                except ConnectionError:
                    pass
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            self.close(f"connection error: {e}")
        except asyncio.CancelledError:
            self.close("server stopping")
            raise
        except Exception as e:  # noqa: BLE001 - a bug must only cost this connection
            log.error("conn %d: internal error: %s\n%s", self.id, e, traceback.format_exc())
            self.server.event("internal_error", conn=self.id, user=self.user, reason=repr(e))
            self.close(f"internal error: {e!r}")
        finally:
            self.closed = True
            self.on_closed()
            try:
                self.writer.close()
            except Exception:  # noqa: BLE001
                pass

    async def on_frame(self, f: wire.Flap) -> None:
        raise NotImplementedError

    def on_closed(self) -> None:
        pass


# ---------------------------------------------------------------------------------
# Authorization service

class AuthConn(Conn):
    kind = "auth"

    def __init__(self, *a):
        super().__init__(*a)
        self.hello = False
        self.authkeys: dict[str, bytes] = {}

    async def on_frame(self, f: wire.Flap) -> None:
        if f.channel == wire.CH_SIGNON:
            if self.hello:
                raise ProtocolError("second channel-1 frame")
            if len(f.payload) < 4:
                raise ProtocolError("channel-1 frame shorter than the FLAP version")
            self.hello = True
            tlvs = wire.tlv_dict(wire.decode_tlvs(f.payload[4:], what="signon TLVs")[0])
            if 0x0001 in tlvs and 0x0002 in tlvs:
                self.roasted_login(tlvs)
            return
        if not self.hello:
            raise ProtocolError(f"channel {f.channel} frame before the channel-1 hello")
        if f.channel == wire.CH_SIGNOFF:
            self.close("client signed off")
        elif f.channel == wire.CH_DATA:
            s = wire.decode_snac(f.payload)
            if s.family != wire.BUCP:
                self.send_error(s.family, s.request_id, wire.ERR_SERVICE_NOT_DEFINED)
            elif s.subtype == 0x0006:
                self.challenge(s)
            elif s.subtype == 0x0002:
                self.md5_login(s)
            else:
                self.send_error(wire.BUCP, s.request_id, wire.ERR_INVALID_SNAC)

    def challenge(self, s: wire.Snac) -> None:
        d = wire.tlv_dict(wire.decode_tlvs(s.data)[0])
        sn = d.get(0x0001)
        if sn is None:
            raise ProtocolError("BUCP challenge request without screen name TLV 0x0001")
        acct = self.server.account(sn.decode("latin-1"))
        if acct is None:
            self.server.event("login", user=wire.normalize_sn(sn), method="md5", result="unregistered")
            self.send_snac(wire.BUCP, 0x0003, tlv(1, sn) + tlv(8, wire.LOGIN_ERR_INVALID_SN)
                           + tlv(4, "https://aim.example/unregistered"), s.request_id)
            return
        key = str(int.from_bytes(os.urandom(4), "big")).encode()
        self.authkeys[acct.norm] = key
        self.send_snac(wire.BUCP, 0x0007, str16(key), s.request_id)

    def md5_login(self, s: wire.Snac) -> None:
        d = wire.tlv_dict(wire.decode_tlvs(s.data)[0])
        sn = d.get(0x0001)
        digest = d.get(0x0025)
        if sn is None or digest is None:
            raise ProtocolError("BUCP login request without TLV 0x0001 or 0x0025")
        acct = self.server.account(sn.decode("latin-1"))
        key = self.authkeys.get(acct.norm) if acct else None
        method = "md5-strong" if 0x004C in d else "md5-weak"
        if acct is None:
            self.fail(s, sn, wire.LOGIN_ERR_INVALID_SN, method, "unregistered")
            return
        if key is None:
            self.fail(s, sn, wire.LOGIN_ERR_INVALID_SN, method, "no challenge requested")
            return
        pw = acct.password.encode("latin-1", errors="replace")
        want = wire.strong_md5(key, pw) if 0x004C in d else wire.weak_md5(key, pw)
        if digest != want:
            self.fail(s, sn, wire.LOGIN_ERR_MISMATCH, method, "wrong password")
            return
        cookie = self.server.issue_cookie(acct)
        self.server.event("login", user=acct.norm, method=method, result="ok")
        self.send_snac(wire.BUCP, 0x0003, tlv(1, acct.screen_name) + tlv(5, self.server.bos_address())
                       + tlv(6, cookie) + tlv(0x11, f"{acct.norm}@example.invalid") + tlv(0x13, 3), s.request_id)

    def fail(self, s: wire.Snac, sn: bytes, code: int, method: str, why: str) -> None:
        self.server.event("login", user=wire.normalize_sn(sn), method=method, result=why, code=code)
        self.send_snac(wire.BUCP, 0x0003, tlv(1, sn) + tlv(8, code) + tlv(4, "https://aim.example/login-error"),
                       s.request_id)

    def roasted_login(self, d: dict[int, bytes]) -> None:
        sn = d[0x0001]
        acct = self.server.account(sn.decode("latin-1"))
        if acct is None:
            code, why = wire.LOGIN_ERR_INVALID_SN, "unregistered"
        elif wire.roast(d[0x0002]) != acct.password.encode("latin-1", errors="replace"):
            code, why = wire.LOGIN_ERR_BAD_PASSWORD, "wrong password"
        else:
            cookie = self.server.issue_cookie(acct)
            self.server.event("login", user=acct.norm, method="roast", result="ok")
            self.send_flap(wire.CH_SIGNOFF, tlv(1, acct.screen_name) + tlv(5, self.server.bos_address()) + tlv(6, cookie))
            self.close("channel-1 login answered")
            return
        self.server.event("login", user=wire.normalize_sn(sn), method="roast", result=why, code=code)
        self.send_flap(wire.CH_SIGNOFF, tlv(1, sn) + tlv(8, code) + tlv(4, "https://aim.example/login-error"))
        self.close("channel-1 login refused")


# ---------------------------------------------------------------------------------
# BOS

@dataclass
class RateState:
    level: float
    last: float
    state: str = "clear"   # clear | alert | limited


class BosConn(Conn):
    kind = "bos"

    def __init__(self, *a):
        super().__init__(*a)
        self.acct: Account | None = None
        self.online = False          # after OSERVICE client online (0x0002)
        self.status = 0              # ICQ status dword (flags << 16 | status)
        self.status_set = False
        self.away_msg = b""
        self.away_mime = b"text/plain"
        self.profile = b""
        self.profile_mime = b"text/plain"
        self.caps = b""
        self.idle = 0
        self.since = int(time.time())
        self.icbm_params = wire.IcbmParams()
        self.client_buddies: set[str] = set()
        start = now_ms()
        self.rates = {c.id: RateState(float(c.max), start) for c in self.server.rate_classes}

    # -- identity and presence ------------------------------------------------

    @property
    def norm(self) -> str:
        return self.acct.norm if self.acct else ""

    @property
    def invisible(self) -> bool:
        return bool(self.status & wire.ICQ_INVISIBLE)

    @property
    def away(self) -> bool:
        return bool(self.away_msg) or bool(self.status & wire.ICQ_AWAY_BITS)

    def user_class(self) -> int:
        c = wire.CLASS_FREE | (wire.CLASS_ICQ if self.acct and self.acct.icq else 0)
        return c | (wire.CLASS_AWAY if self.away else 0)

    def user_info(self) -> wire.UserInfo:
        tlvs = [(0x0001, u16(self.user_class())), (0x0003, u32(self.since)),
                (0x000F, u32(max(0, int(time.time()) - self.since)))]
        if self.acct.icq or self.status_set:
            tlvs.append((0x0006, u32(self.status)))
        if self.idle:
            tlvs.append((0x0004, u16(self.idle // 60)))
        if self.caps:
            tlvs.append((0x000D, self.caps))
        return wire.UserInfo(self.acct.screen_name, self.acct.warning, tlvs)

    def departure_info(self) -> wire.UserInfo:
        return wire.UserInfo(self.acct.screen_name, self.acct.warning, [(0x0001, u16(self.user_class()))])

    def presence_json(self) -> dict:
        return {"screen_name": self.acct.screen_name, "norm": self.norm, "conn": self.id, "signed_on": self.online,
                "status": self.status, "away": self.away, "away_message": self.away_msg.decode("utf-8", "replace"),
                "invisible": self.invisible, "since": self.since, "warning": self.acct.warning}

    # -- frames ---------------------------------------------------------------

    async def on_frame(self, f: wire.Flap) -> None:
        if self.acct is None:
            if f.channel != wire.CH_SIGNON:
                raise ProtocolError(f"channel {f.channel} frame before the BOS sign-on")
            self.signon(f.payload)
            return
        if f.channel == wire.CH_DATA:
            s = wire.decode_snac(f.payload)
            if not self.rate_check(s):
                return
            try:
                self.dispatch(s)
            except wire.WireError as e:
                # a malformed SNAC body: answer with the documented error, keep the connection
                self.server.event("protocol_error", conn=self.id, user=self.norm, service="bos",
                                  reason=f"SNAC 0x{s.family:04x}/0x{s.subtype:04x}: {e}")
                log.warning("conn %d: busted SNAC 0x%04x/0x%04x: %s", self.id, s.family, s.subtype, e)
                self.send_error(s.family, s.request_id, wire.ERR_BUSTED_SNAC_PAYLOAD)
        elif f.channel == wire.CH_KEEPALIVE:
            log.debug("conn %d: keep-alive", self.id)
        elif f.channel == wire.CH_SIGNOFF:
            self.close("client signed off")
        elif f.channel == wire.CH_SIGNON:
            raise ProtocolError("second channel-1 frame")
        else:
            log.info("conn %d: ignoring channel %d frame", self.id, f.channel)

    def signon(self, payload: bytes) -> None:
        if len(payload) < 4:
            raise ProtocolError("channel-1 frame shorter than the FLAP version")
        d = wire.tlv_dict(wire.decode_tlvs(payload[4:], what="BOS signon TLVs")[0])
        cookie = d.get(0x0006)
        acct = self.server.redeem_cookie(cookie) if cookie else None
        if acct is None:
            self.server.event("bos_signon", conn=self.id, result="bad cookie")
            self.send_flap(wire.CH_SIGNOFF, tlv(0x0009, 0x0005))
            self.close("invalid or expired login cookie")
            return
        self.acct = acct
        self.user = acct.norm
        old = self.server.sessions.get(acct.norm)
        if old is not None and not old.closed:
            self.server.event("kick", user=acct.norm, conn=old.id, code=wire.DISCONNECT_OTHER_LOCATION,
                              reason="signed on from another location")
            old.disconnect(wire.DISCONNECT_OTHER_LOCATION, announce=False)
        self.server.sessions[acct.norm] = self
        self.server.event("bos_signon", conn=self.id, user=acct.norm, result="ok")
        self.send_snac(wire.OSERVICE, 0x0003, b"".join(u16(f) for f in BOS_FAMILIES))

    def disconnect(self, code: int, announce: bool = True) -> None:
        """Channel-4 disconnect with error TLV 0x0009, then close."""
        self.send_flap(wire.CH_SIGNOFF, tlv(0x0009, code) + tlv(0x000B, "https://aim.example/disconnected"))
        if not announce:
            self.online = False  # replaced by a newer session: no departure
        self.close(f"disconnected by the server (code 0x{code:04x})")

    def on_closed(self) -> None:
        if self.acct is None:
            return
        if self.server.sessions.get(self.norm) is self:
            del self.server.sessions[self.norm]
            if self.online:
                self.online = False
                self.server.event("signoff", user=self.norm, conn=self.id)
                if not self.invisible:
                    self.server.announce_departure(self)
        self.online = False

    # -- rate limits ----------------------------------------------------------

    def rate_check(self, s: wire.Snac) -> bool:
        cls = self.server.rate_class_of(s.family, s.subtype)
        st = self.rates.setdefault(cls.id, RateState(float(cls.max), now_ms()))
        t = now_ms()
        delta, st.last = t - st.last, t
        st.level = wire.rate_level(st.level, delta, cls.window, cls.max)
        if st.level < cls.disconnect:
            self.server.event("rate_disconnect", user=self.norm, conn=self.id, rate_class=cls.id, level=round(st.level))
            self.send_flap(wire.CH_SIGNOFF, b"")
            self.close(f"rate class {cls.id} below its disconnect level")
            return False
        if st.state == "limited":
            if st.level >= cls.clear:
                st.state = "clear"
                self.rate_notify(wire.RATE_CODE_CLEAR, cls, st)
                return True
            return self.rate_drop(s, cls, st)
        if st.level < cls.limit:
            st.state = "limited"
            self.rate_notify(wire.RATE_CODE_LIMITED, cls, st)
            return self.rate_drop(s, cls, st)
        if st.level < cls.alert:
            if st.state != "alert":
                st.state = "alert"
                self.server.event("rate_warning", user=self.norm, conn=self.id, rate_class=cls.id, level=round(st.level))
                self.rate_notify(wire.RATE_CODE_WARNING, cls, st)
        elif st.state == "alert":
            st.state = "clear"
            self.rate_notify(wire.RATE_CODE_CLEAR, cls, st)
        return True

    def rate_drop(self, s: wire.Snac, cls: wire.RateClass, st: RateState) -> bool:
        self.server.event("rate_drop", user=self.norm, conn=self.id, rate_class=cls.id, level=round(st.level),
                          family=s.family, subtype=s.subtype, request_id=s.request_id)
        self.send_error(s.family, s.request_id, wire.ERR_RATE_TO_HOST)
        return False

    def rate_snapshot(self, cls: wire.RateClass) -> wire.RateClass:
        st = self.rates.setdefault(cls.id, RateState(float(cls.max), now_ms()))
        return wire.RateClass(cls.id, cls.window, cls.clear, cls.alert, cls.limit, cls.disconnect, cls.max,
                              int(st.level), int(min(now_ms() - st.last, 0xFFFFFFFF)), 1 if st.state == "limited" else 0)

    def rate_notify(self, code: int, cls: wire.RateClass, st: RateState) -> None:
        self.send_snac(wire.OSERVICE, 0x000A, wire.encode_rate_change(code, self.rate_snapshot(cls)))

    # -- dispatch -------------------------------------------------------------

    def dispatch(self, s: wire.Snac) -> None:
        fam, sub = s.family, s.subtype
        handler = getattr(self, f"h_{fam:02x}_{sub:02x}", None)
        if handler is None or sub not in KNOWN_SNACS.get(fam, ()):
            log.info("conn %d: unsupported SNAC 0x%04x/0x%04x", self.id, fam, sub)
            self.send_error(fam, s.request_id,
                            wire.ERR_SERVICE_NOT_DEFINED if fam not in KNOWN_SNACS else wire.ERR_INVALID_SNAC)
            return
        handler(s)

    # OSERVICE
    def h_01_02(self, s):  # client online
        wire.decode_client_online(s.data)
        if self.online:
            return
        self.online = True
        self.server.event("signon", user=self.norm, conn=self.id)
        if not self.invisible:
            self.server.announce_arrival(self)
        self.send_buddy_arrivals()

    def h_01_04(self, s):  # service request: this server has no other services
        self.send_error(wire.OSERVICE, s.request_id, wire.ERR_SERVICE_UNAVAILABLE)

    def h_01_06(self, s):  # rate params query
        classes = [self.rate_snapshot(c) for c in self.server.rate_classes]
        self.send_snac(wire.OSERVICE, 0x0007, wire.encode_rate_params(classes, self.server.rate_members()), s.request_id)

    def h_01_08(self, s):  # rate params ack / subscription
        r = wire.Reader(s.data, "rate ack")
        while not r.at_end():
            r.u16()

    def h_01_0e(self, s):  # self info
        self.send_snac(wire.OSERVICE, 0x000F, wire.encode_user_info(self.user_info()), s.request_id)

    def h_01_11(self, s):  # idle time
        self.idle = wire.Reader(s.data, "idle").u32()
        if self.online and not self.invisible:
            self.server.announce_arrival(self)

    def h_01_17(self, s):  # client versions
        wire.decode_versions(s.data)
        self.send_snac(wire.OSERVICE, 0x0018, wire.encode_versions(list(FAMILY_VERSIONS.items())), s.request_id)

    def h_01_1e(self, s):  # set status
        d = wire.tlv_dict(wire.decode_tlvs(s.data)[0])
        if 0x0006 not in d:
            return
        was_invisible = self.invisible
        self.status = wire.tlv_u32(d, 0x0006, 0)
        self.status_set = True
        self.server.event("status", user=self.norm, status=self.status)
        self.send_snac(wire.OSERVICE, 0x000F, wire.encode_user_info(self.user_info()), s.request_id)
        if self.online:
            if self.invisible and not was_invisible:
                self.server.announce_departure(self)
            elif not self.invisible:
                self.server.announce_arrival(self)

    # LOCATE
    def h_02_02(self, s):
        self.send_snac(wire.LOCATE, 0x0003, tlv(1, 4096) + tlv(2, 18) + tlv(3, 128) + tlv(4, 10) + tlv(5, 4096),
                       s.request_id)

    def h_02_04(self, s):  # set info
        d = wire.tlv_dict(wire.decode_tlvs(s.data)[0])
        changed = False
        if 0x0002 in d:
            self.profile, self.profile_mime = d[0x0002], d.get(0x0001, self.profile_mime)
        if 0x0004 in d:
            self.away_msg, self.away_mime = d[0x0004], d.get(0x0003, b"text/plain")
            changed = True
            self.server.event("away", user=self.norm, message=self.away_msg.decode("utf-8", "replace"),
                              mime=self.away_mime.decode("latin-1"))
        if 0x0005 in d:
            self.caps = d[0x0005]
            changed = True
        if changed and self.online and not self.invisible:
            self.server.announce_arrival(self)

    def h_02_05(self, s):  # user info query: type word, screen name
        r = wire.Reader(s.data, "user info query")
        r.u16()
        self.locate_reply(s, r.str8())

    def h_02_15(self, s):  # user info query 2: flags dword, screen name
        r = wire.Reader(s.data, "user info query 2")
        r.u32()
        self.locate_reply(s, r.str8())

    def h_02_0b(self, s):  # directory info: unsupported
        self.send_error(wire.LOCATE, s.request_id, wire.ERR_NOT_SUPPORTED_BY_HOST)

    def locate_reply(self, s, sn: bytes) -> None:
        other = self.server.online_session(wire.normalize_sn(sn))
        if other is None or (other.invisible and other is not self):
            self.send_error(wire.LOCATE, s.request_id, wire.ERR_NOT_LOGGED_ON)
            return
        extra = b""
        if other.profile:
            extra += tlv(1, other.profile_mime) + tlv(2, other.profile)
        if other.away_msg:
            extra += tlv(3, other.away_mime) + tlv(4, other.away_msg)
        if other.caps:
            extra += tlv(5, other.caps)
        self.send_snac(wire.LOCATE, 0x0006, wire.encode_user_info(other.user_info()) + extra, s.request_id)

    # BUDDY
    def h_03_02(self, s):
        self.send_snac(wire.BUDDY, 0x0003, tlv(1, MAX_CLIENT_BUDDIES) + tlv(2, 750) + tlv(4, 160), s.request_id)

    def h_03_04(self, s):  # add client-side buddies
        r = wire.Reader(s.data, "buddy list")
        names = []
        while not r.at_end():
            names.append(wire.normalize_sn(r.str8()))
        for n in names:
            if len(self.client_buddies) >= MAX_CLIENT_BUDDIES:
                break
            self.client_buddies.add(n)
            if self.online:
                self.send_arrival_of(n)

    def h_03_05(self, s):
        r = wire.Reader(s.data, "buddy list")
        while not r.at_end():
            self.client_buddies.discard(wire.normalize_sn(r.str8()))

    # ICBM
    def h_04_02(self, s):
        self.icbm_params = wire.decode_icbm_params(s.data)

    def h_04_04(self, s):
        p = wire.IcbmParams(0, 0x0000000B, 8000, 999, 999, 0)
        self.send_snac(wire.ICBM, 0x0005, wire.encode_icbm_params(p), s.request_id)

    def h_04_06(self, s):  # send an ICBM
        m = wire.decode_icbm_send(s.data)
        target = wire.normalize_sn(m.screen_name)
        text = m.text() if m.channel == 1 else None
        ev = {"from": self.norm, "to": target, "channel": m.channel, "cookie": m.cookie.hex(),
              "text": text[0] if text else None, "charset": text[1] if text else None,
              "ack_requested": m.wants_ack, "store_offline": m.store_offline}
        other = self.server.online_session(target)
        if other is not None:
            if m.channel == 1 and text is None:
                raise wire.WireError("channel-1 ICBM without a text fragment")
            # Each side's ICBM parameters cap the warning level of the other.
            if self.acct.warning > other.icbm_params.max_sender_warn:
                self.server.event("icbm", result="sender_too_evil", level=self.acct.warning, **ev)
                self.send_error(wire.ICBM, s.request_id, wire.ERR_SENDER_TOO_EVIL)
                return
            if other.acct.warning > self.icbm_params.max_receiver_warn:
                self.server.event("icbm", result="receiver_too_evil", level=other.acct.warning, **ev)
                self.send_error(wire.ICBM, s.request_id, wire.ERR_RECEIVER_TOO_EVIL)
                return
            tlvs = [(t, v) for t, v in m.tlvs if t not in (0x0003, 0x0006)]
            other.send_snac(wire.ICBM, 0x0007, wire.encode_icbm_incoming(m.cookie, m.channel, self.user_info(), tlvs))
            if m.channel == 1:
                self.server.note_sender(other.norm, self.norm)
            self.server.event("icbm", result="delivered", **ev)
            if m.wants_ack:
                self.send_snac(wire.ICBM, 0x000C, m.cookie + u16(m.channel) + str8(m.screen_name), s.request_id)
            return
        acct = self.server.account(target)
        if (m.store_offline and m.channel == 1 and text is not None and acct is not None and acct.icq
                and self.acct.icq):
            self.server.store_offline(self, acct, text[0])
            self.server.event("icbm", result="stored", **ev)
            if m.wants_ack:
                self.send_snac(wire.ICBM, 0x000C, m.cookie + u16(m.channel) + str8(m.screen_name), s.request_id)
            return
        self.server.event("icbm", result="not_logged_on", **ev)
        self.send_error(wire.ICBM, s.request_id, wire.ERR_NOT_LOGGED_ON)

    def h_04_08(self, s):  # evil request: warn someone who recently sent us a message
        anonymous, sn = wire.decode_evil_request(s.data)
        target = wire.normalize_sn(sn)
        other = self.server.online_session(target)
        ev = {"from": self.norm, "to": target, "anonymous": anonymous}
        if other is None:
            code, why = wire.ERR_NOT_LOGGED_ON, "not_logged_on"
        elif other.acct.icq or self.acct.icq:
            code, why = wire.ERR_NOT_SUPPORTED_BY_HOST, "icq"   # warnings are an AIM feature
        elif target == self.norm or target not in self.server.recent_senders.get(self.norm, ()):
            code, why = wire.ERR_REQUEST_DENIED, "denied"       # no recent message from them
        else:
            code, why = 0, "ok"
        if code:
            self.server.event("warn", result=why, **ev)
            self.send_error(wire.ICBM, s.request_id, code)
            return
        old = other.acct.warning
        other.acct.warning = min(wire.WARNING_MAX, old + (WARN_ANONYMOUS if anonymous else WARN_NAMED))
        delta = other.acct.warning - old
        self.server.event("warn", result="ok", delta=delta, level=other.acct.warning, **ev)
        self.send_snac(wire.ICBM, 0x0009, wire.encode_evil_reply(delta, other.acct.warning), s.request_id)
        other.send_snac(wire.OSERVICE, 0x0010,
                        wire.encode_evil_notification(other.acct.warning, None if anonymous else self.user_info()))
        if not other.invisible:
            self.server.announce_arrival(other)  # watchers see the new level in the user info

    def h_04_14(self, s):  # mini typing notification
        cookie, channel, sn, event = wire.decode_typing(s.data)
        target = wire.normalize_sn(sn)
        other = self.server.online_session(target)
        delivered = other is not None and bool(other.icbm_params.flags & 0x0008)
        self.server.event("typing", **{"from": self.norm, "to": target, "event": event,
                                       "result": "delivered" if delivered else "dropped"})
        if delivered:
            other.send_snac(wire.ICBM, 0x0014, wire.encode_typing(cookie, self.acct.screen_name, event, channel))

    # PRIVACY
    def h_09_02(self, s):
        self.send_snac(wire.PRIVACY, 0x0003, tlv(1, 200) + tlv(2, 200) + tlv(3, 200), s.request_id)

    # FEEDBAG
    @property
    def feedbag(self) -> Feedbag:
        return self.server.feedbag(self.norm)

    def h_13_02(self, s):
        self.send_snac(wire.FEEDBAG, 0x0003, tlv(4, b"".join(u16(n) for n in SSI_MAX_ITEMS)) + tlv(2, 254)
                       + tlv(3, 508) + tlv(5, 0), s.request_id)

    def h_13_04(self, s):
        fb = self.feedbag
        items = sorted(fb.items.values(), key=lambda i: (i.group_id, i.item_id))
        self.send_snac(wire.FEEDBAG, 0x0006, wire.encode_ssi_list(items, fb.last_modified), s.request_id)

    def h_13_05(self, s):  # query if modified: timestamp, count
        r = wire.Reader(s.data, "SSI check")
        ts, count = r.u32(), r.u16()
        fb = self.feedbag
        if ts == fb.last_modified and count == len(fb.items):
            self.send_snac(wire.FEEDBAG, 0x000F, u32(fb.last_modified) + u16(len(fb.items)), s.request_id)
        else:
            self.h_13_04(s)

    def h_13_07(self, s):  # activate
        self.server.event("ssi_activate", user=self.norm)

    def h_13_11(self, s):
        pass

    def h_13_12(self, s):
        pass

    def h_13_08(self, s):
        self.ssi_modify(s, "add")

    def h_13_09(self, s):
        self.ssi_modify(s, "update")

    def h_13_0a(self, s):
        self.ssi_modify(s, "delete")

    def ssi_modify(self, s: wire.Snac, op: str) -> None:
        items = wire.decode_ssi_items(s.data)
        fb = self.feedbag
        before = {n for n in self.server.watched_by(self)}
        codes = []
        for it in items:
            key = (it.group_id, it.item_id)
            code = wire.SSI_OK
            if op == "add":
                if key in fb.items:
                    code = wire.SSI_EXISTS
                elif it.cls < len(SSI_MAX_ITEMS) and SSI_MAX_ITEMS[it.cls] and \
                        sum(1 for i in fb.items.values() if i.cls == it.cls) >= SSI_MAX_ITEMS[it.cls]:
                    code = wire.SSI_LIMIT
                elif it.cls == wire.SSI_BUDDY:
                    target = self.server.account(it.name)
                    if (target is not None and target.auth_required and wire.SSI_TLV_AWAITING_AUTH not in it.d
                            and not self.server.granted(self.norm, target.norm)):
                        code = wire.SSI_NEED_AUTH
            elif key not in fb.items:
                code = wire.SSI_NOT_FOUND
            if code == wire.SSI_OK:
                if op == "delete":
                    del fb.items[key]
                else:
                    fb.items[key] = it
            codes.append(code)
            self.server.event("ssi", user=self.norm, op=op, item=it.to_json(), code=code)
            if op == "add" and code == wire.SSI_OK and it.cls == wire.SSI_BUDDY:
                other = self.server.online_session(wire.normalize_sn(it.name))
                if other is not None and other.acct.icq:
                    other.send_snac(wire.FEEDBAG, 0x001C, str8(self.acct.screen_name))
        if any(c == wire.SSI_OK for c in codes):
            fb.touch()
        self.send_snac(wire.FEEDBAG, 0x000E, b"".join(u16(c) for c in codes), s.request_id)
        if self.online:
            after = set(self.server.watched_by(self))
            for n in after - before:
                self.send_arrival_of(n)
            for n in before - after:
                other = self.server.online_session(n)
                if other is not None and not other.invisible:
                    self.send_snac(wire.BUDDY, 0x000C, wire.encode_user_info(other.departure_info()))

    def h_13_14(self, s):  # grant future authorization
        sn, reason = wire.decode_auth_request(s.data)
        target = wire.normalize_sn(sn)
        self.server.grants.add((target, self.norm))
        self.server.event("auth_grant", **{"from": self.norm, "to": target, "reason": reason})
        other = self.server.online_session(target)
        if other is not None:
            other.send_snac(wire.FEEDBAG, 0x0015, wire.encode_auth_request(self.acct.screen_name, reason))
            other.refresh_watch(self)

    def h_13_18(self, s):  # authorization request
        sn, reason = wire.decode_auth_request(s.data)
        target = wire.normalize_sn(sn)
        other = self.server.online_session(target)
        self.server.event("auth_request", **{"from": self.norm, "to": target, "reason": reason,
                                             "result": "delivered" if other else "not_logged_on"})
        if other is None:
            self.send_error(wire.FEEDBAG, s.request_id, wire.ERR_NOT_LOGGED_ON)
            return
        other.send_snac(wire.FEEDBAG, 0x0019, wire.encode_auth_request(self.acct.screen_name, reason))

    def h_13_1a(self, s):  # authorization reply
        sn, accepted, reason = wire.decode_auth_reply(s.data)
        requester = wire.normalize_sn(sn)
        if accepted:
            self.server.grants.add((requester, self.norm))
        else:
            self.server.grants.discard((requester, self.norm))
        other = self.server.online_session(requester)
        self.server.event("auth_reply", **{"from": self.norm, "to": requester, "accepted": accepted, "reason": reason,
                                           "result": "delivered" if other else "not_logged_on"})
        if other is None:
            self.send_error(wire.FEEDBAG, s.request_id, wire.ERR_NOT_LOGGED_ON)
            return
        other.send_snac(wire.FEEDBAG, 0x001B, wire.encode_auth_reply(self.acct.screen_name, accepted, reason))
        other.refresh_watch(self)

    # ICQ
    def h_15_02(self, s):
        meta = wire.decode_icq_meta(s.data)
        if not self.acct.icq:
            self.send_error(wire.ICQ, s.request_id, wire.ERR_NOT_SUPPORTED_BY_HOST)
            return
        uin = int(self.norm)
        if meta.type == wire.META_OFFLINE_REQ:
            msgs = list(self.server.offline.get(self.norm, []))
            for m in msgs:
                self.send_snac(wire.ICQ, 0x0003, wire.encode_icq_meta(
                    wire.IcqMeta(uin, wire.META_OFFLINE_MSG, meta.seq, wire.encode_offline_message(m))),
                    s.request_id, flags=wire.SNAC_FLAG_MORE)
            self.send_snac(wire.ICQ, 0x0003, wire.encode_icq_meta(
                wire.IcqMeta(uin, wire.META_OFFLINE_END, meta.seq, b"\x00")), s.request_id)
            self.server.event("offline_fetch", user=self.norm, count=len(msgs))
        elif meta.type == wire.META_OFFLINE_DEL:
            n = len(self.server.offline.pop(self.norm, []))
            self.server.event("offline_delete", user=self.norm, count=n)
        else:
            self.send_error(wire.ICQ, s.request_id, wire.ERR_NOT_SUPPORTED_BY_HOST)

    # -- presence helpers -----------------------------------------------------

    def send_arrival_of(self, norm: str) -> None:
        other = self.server.online_session(norm)
        if other is not None and not other.invisible and self.server.can_see(self, norm):
            self.send_snac(wire.BUDDY, 0x000B, wire.encode_user_info(other.user_info()))

    def send_buddy_arrivals(self) -> None:
        for n in sorted(self.server.watched_by(self)):
            self.send_arrival_of(n)

    def refresh_watch(self, other: "BosConn") -> None:
        """After an authorization change, show `other` if it is now visible."""
        if self.online and other.online and not other.invisible and self.server.can_see(self, other.norm):
            self.send_snac(wire.BUDDY, 0x000B, wire.encode_user_info(other.user_info()))


# ---------------------------------------------------------------------------------

class OscarServer:
    def __init__(self, host: str = "127.0.0.1", auth_port: int = 0, bos_port: int = 0, control_port: int = 0,
                 max_frame: int = wire.DEFAULT_MAX_FLAP_PAYLOAD, frames_kept: int = 5000, events_kept: int = 20000):
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the OSCAR test server binds loopback only, not {host!r}")
        self.host = host
        self.ports = {"auth": auth_port, "bos": bos_port, "control": control_port}
        self.max_frame = max_frame
        self.accounts: dict[str, Account] = {}
        self.sessions: dict[str, BosConn] = {}
        self.cookies: dict[bytes, tuple[str, float]] = {}
        self.feedbags: dict[str, Feedbag] = {}
        self.offline: dict[str, list[wire.OfflineMessage]] = {}
        self.grants: set[tuple[str, str]] = set()   # (watcher, target): target authorized watcher
        self.recent_senders: dict[str, dict[str, None]] = {}  # recipient -> senders, oldest first
        self.rate_classes = [wire.RateClass(**{k: getattr(c, k) for k in ("id", "window", "clear", "alert", "limit",
                                                                            "disconnect", "max")})
                             for c in DEFAULT_RATE_CLASSES]
        self.explicit_members = {k: list(v) for k, v in RATE_MEMBERS_EXPLICIT.items()}
        self.events = EventLog(log, events_kept)
        self.frames: collections.deque = collections.deque(maxlen=frames_kept)
        self.frame_seq = 0
        self._conn_ids = 0
        self.listeners: dict[str, asyncio.AbstractServer] = {}
        self.conn_tasks: set[asyncio.Task] = set()
        self.stopped = asyncio.Event()

    # -- accounts, cookies ----------------------------------------------------

    def next_conn_id(self) -> int:
        self._conn_ids += 1
        return self._conn_ids

    def add_account(self, screen_name: str, password: str, auth_required: bool = False) -> Account:
        if not screen_name or len(screen_name) > 48:
            raise ValueError("screen name must be 1..48 characters")
        a = Account(screen_name, password, auth_required)
        self.accounts[a.norm] = a
        return a

    def account(self, sn: str) -> Account | None:
        return self.accounts.get(wire.normalize_sn(sn))

    def issue_cookie(self, acct: Account) -> bytes:
        t = time.monotonic()
        for c in [c for c, (_, exp) in self.cookies.items() if exp < t]:
            del self.cookies[c]
        cookie = os.urandom(256)
        self.cookies[cookie] = (acct.norm, t + COOKIE_TTL)
        return cookie

    def redeem_cookie(self, cookie: bytes) -> Account | None:
        entry = self.cookies.pop(cookie, None)
        if entry is None or entry[1] < time.monotonic():
            return None
        return self.accounts.get(entry[0])

    def bos_address(self) -> str:
        return f"{self.host}:{self.ports['bos']}"

    def feedbag(self, norm: str) -> Feedbag:
        return self.feedbags.setdefault(norm, Feedbag())

    # -- presence -------------------------------------------------------------

    def online_session(self, norm: str) -> BosConn | None:
        s = self.sessions.get(norm)
        return s if s is not None and s.online and not s.closed else None

    def granted(self, watcher: str, target: str) -> bool:
        return (watcher, target) in self.grants

    def can_see(self, watcher: BosConn, target: str) -> bool:
        if target == watcher.norm:
            return False
        listed = target in self.feedbag(watcher.norm).buddies() or target in watcher.client_buddies
        if not listed:
            return False
        acct = self.accounts.get(target)
        return not (acct and acct.auth_required and not self.granted(watcher.norm, target))

    def watched_by(self, watcher: BosConn) -> set[str]:
        names = self.feedbag(watcher.norm).buddies() | watcher.client_buddies
        return {n for n in names if self.can_see(watcher, n)}

    def watchers_of(self, target: BosConn) -> list[BosConn]:
        return [s for s in list(self.sessions.values())
                if s is not target and s.online and not s.closed and self.can_see(s, target.norm)]

    def announce_arrival(self, sess: BosConn) -> None:
        data = wire.encode_user_info(sess.user_info())
        for w in self.watchers_of(sess):
            w.send_snac(wire.BUDDY, 0x000B, data)
            self.event("arrival", user=sess.norm, to=w.norm, away=sess.away, status=sess.status)

    def announce_departure(self, sess: BosConn) -> None:
        data = wire.encode_user_info(sess.departure_info())
        for w in self.watchers_of(sess):
            w.send_snac(wire.BUDDY, 0x000C, data)
            self.event("departure", user=sess.norm, to=w.norm)

    def note_sender(self, recipient: str, sender: str) -> None:
        """`sender` just sent `recipient` a message: `recipient` may warn them."""
        recent = self.recent_senders.setdefault(recipient, {})
        recent.pop(sender, None)
        recent[sender] = None
        while len(recent) > RECENT_SENDERS_KEPT:
            del recent[next(iter(recent))]

    def store_offline(self, sender: BosConn, target: Account, text: str) -> None:
        t = time.gmtime()
        self.offline.setdefault(target.norm, []).append(wire.OfflineMessage(
            int(sender.norm), t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, 0x01, 0x00, text.encode("utf-8")))

    # -- rate classes ---------------------------------------------------------

    def rate_class_of(self, family: int, subtype: int) -> wire.RateClass:
        for cid, pairs in self.explicit_members.items():
            if (family, subtype) in pairs:
                for c in self.rate_classes:
                    if c.id == cid:
                        return c
        return self.rate_classes[0]

    def rate_members(self) -> dict[int, list[tuple[int, int]]]:
        """Every SNAC this server knows, by class (class 1 holds the rest)."""
        explicit = {p for pairs in self.explicit_members.values() for p in pairs}
        members = {c.id: list(self.explicit_members.get(c.id, [])) for c in self.rate_classes}
        default = self.rate_classes[0].id
        for fam, subs in KNOWN_SNACS.items():
            for sub in subs:
                if (fam, sub) not in explicit:
                    members.setdefault(default, []).append((fam, sub))
        return members

    def set_rate_class(self, cid: int, **params) -> wire.RateClass:
        cls = next((c for c in self.rate_classes if c.id == cid), None)
        if cls is None:
            cls = wire.RateClass(cid, 20, 5100, 5000, 4000, 3000, 6000)
            self.rate_classes.append(cls)
        for k in ("window", "clear", "alert", "limit", "disconnect", "max"):
            if k in params:
                setattr(cls, k, int(params[k]))
        if not (cls.window >= 1 and cls.max >= cls.clear >= cls.alert >= cls.limit >= cls.disconnect >= 0):
            raise ValueError("rate class needs window >= 1 and max >= clear >= alert >= limit >= disconnect >= 0")
        for s in list(self.sessions.values()):
            st = s.rates.get(cls.id)
            if st is None or "reset" in params and params["reset"]:
                s.rates[cls.id] = st = RateState(float(cls.max), now_ms())
            st.level = min(st.level, float(cls.max))
            if not s.closed:
                s.rate_notify(wire.RATE_CODE_CHANGED, cls, st)
        return cls

    # -- records --------------------------------------------------------------

    def event(self, kind: str, **fields) -> None:
        self.events.add(kind, **fields)

    def record_frame(self, conn: Conn, direction: str, channel: int, payload: bytes) -> None:
        self.frame_seq += 1
        fr = {"seq": self.frame_seq, "conn": conn.id, "service": conn.kind, "user": conn.user, "dir": direction,
              "channel": channel, "len": len(payload)}
        if channel == wire.CH_DATA and len(payload) >= wire.SNAC_HEADER_LEN:
            fam, sub, flags, reqid = struct.unpack(">HHHI", payload[:10])
            fr.update(family=fam, subtype=sub, flags=flags, request_id=reqid)
        fr["hex"] = payload[:1024].hex()
        self.frames.append(fr)

    # -- listeners ------------------------------------------------------------

    async def _serve(self, cls, reader, writer):
        conn = cls(self, reader, writer)
        task = asyncio.current_task()
        self.conn_tasks.add(task)
        try:
            await conn.run()
        finally:
            self.conn_tasks.discard(task)

    async def start_listening(self) -> None:
        for name, cls in (("auth", AuthConn), ("bos", BosConn)):
            if name in self.listeners:
                continue
            srv = await asyncio.start_server(lambda r, w, c=cls: self._serve(c, r, w), self.host, self.ports[name])
            self.ports[name] = srv.sockets[0].getsockname()[1]
            self.listeners[name] = srv
        log.info("listening: auth %s:%d, bos %s:%d", self.host, self.ports["auth"], self.host, self.ports["bos"])

    async def stop_listening(self, drop_sessions: bool = False) -> None:
        for name in ("auth", "bos"):
            srv = self.listeners.pop(name, None)
            if srv is not None:
                srv.close()  # stops accepting; established connections stay up
        if drop_sessions:
            for s in list(self.sessions.values()):
                s.close("server stopped listening")
        log.info("stopped listening (drop_sessions=%s)", drop_sessions)

    async def start(self) -> None:
        await self.start_listening()
        ctl = await asyncio.start_server(self._control_client, self.host, self.ports["control"])
        self.ports["control"] = ctl.sockets[0].getsockname()[1]
        self.listeners["control"] = ctl

    async def shutdown(self) -> None:
        for srv in self.listeners.values():
            srv.close()
        self.listeners.clear()
        for t in list(self.conn_tasks):
            t.cancel()
        self.stopped.set()

    # -- control channel ------------------------------------------------------

    async def _control_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_control(reader, writer, self.control, shutdown=self.shutdown, tasks=self.conn_tasks)

    async def control(self, req: dict) -> dict:
        cmd = req.get("cmd")
        if cmd == "ping":
            return {"ports": {f"{k}_port": v for k, v in self.ports.items()}}
        if cmd == "create_account":
            a = self.add_account(str(req["screen_name"]), str(req["password"]), bool(req.get("auth_required", False)))
            return {"screen_name": a.screen_name, "norm": a.norm, "icq": a.icq}
        if cmd == "delete_account":
            a = self.accounts.pop(wire.normalize_sn(str(req["screen_name"])), None)
            return {"deleted": a is not None}
        if cmd == "accounts":
            return {"accounts": [{"screen_name": a.screen_name, "norm": a.norm, "icq": a.icq,
                                  "auth_required": a.auth_required, "warning": a.warning}
                                 for a in self.accounts.values()]}
        if cmd == "online":
            return {"online": [s.presence_json() for s in self.sessions.values() if not s.closed]}
        if cmd == "kick":
            s = self.sessions.get(wire.normalize_sn(str(req["screen_name"])))
            if s is None or s.closed:
                return {"kicked": False}
            code = int(req.get("code", wire.DISCONNECT_OTHER_LOCATION))
            self.event("kick", user=s.norm, conn=s.id, code=code, reason="control channel")
            s.disconnect(code)
            return {"kicked": True}
        if cmd == "set_rate_class":
            params = {k: req[k] for k in ("window", "clear", "alert", "limit", "disconnect", "max", "reset") if k in req}
            c = self.set_rate_class(int(req.get("class_id", req.get("id", ICBM_RATE_CLASS))), **params)
            return {"rate_class": c.params()}
        if cmd == "rate_classes":
            return {"rate_classes": [c.params() for c in self.rate_classes],
                    "members": {str(k): [[f, s] for f, s in v] for k, v in self.rate_members().items()}}
        if cmd == "events":
            since = int(req.get("since", 0))
            user = wire.normalize_sn(req["user"]) if req.get("user") else None

            def involves_user(e: dict) -> bool:
                return user is None or user in (e.get("user"), e.get("from"), e.get("to"))
            evs = self.events.select(since, req.get("kind"), involves_user)
            return {"events": evs, "last": self.events.seq}
        if cmd == "frames":
            since = int(req.get("since", 0))
            user = wire.normalize_sn(req["user"]) if req.get("user") else None
            frs = [f for f in self.frames if f["seq"] > since and (user is None or f["user"] == user)
                   and ("family" not in req or f.get("family") == int(req["family"]))
                   and ("subtype" not in req or f.get("subtype") == int(req["subtype"]))
                   and ("dir" not in req or f["dir"] == req["dir"])]
            return {"frames": frs[-int(req.get("limit", 1000)):], "last": self.frame_seq}
        if cmd == "feedbag":
            fb = self.feedbag(wire.normalize_sn(str(req["screen_name"])))
            return {"items": [i.to_json() for i in sorted(fb.items.values(), key=lambda i: (i.group_id, i.item_id))],
                    "last_modified": fb.last_modified}
        if cmd == "offline":
            msgs = self.offline.get(wire.normalize_sn(str(req["screen_name"])), [])
            return {"messages": [{"from": str(m.sender_uin), "text": m.text.decode("utf-8", "replace")} for m in msgs]}
        if cmd == "stop_listening":
            await self.stop_listening(bool(req.get("drop_sessions", False)))
            return {}
        if cmd == "start_listening":
            await self.start_listening()
            return {"ports": {f"{k}_port": v for k, v in self.ports.items()}}
        if cmd == "shutdown":
            return {}
        raise ValueError(f"unknown command {cmd!r}")


# ---------------------------------------------------------------------------------

def parse_account(spec: str) -> tuple[str, str, bool]:
    """screen_name:password[:auth]"""
    parts = spec.split(":")
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(f"account {spec!r} is not screen_name:password[:auth]")
    auth = len(parts) > 2 and parts[-1] == "auth"
    pw = ":".join(parts[1:-1] if auth else parts[1:])
    return parts[0], pw, auth


def parse_rate(spec: str) -> dict:
    vals = [int(x) for x in spec.split(",")]
    if len(vals) != 6:
        raise argparse.ArgumentTypeError("rate is window,clear,alert,limit,disconnect,max")
    return dict(zip(("window", "clear", "alert", "limit", "disconnect", "max"), vals))


async def amain(args) -> int:
    server = OscarServer(args.host, args.port, args.bos_port, args.control_port, args.max_frame)
    if args.config:
        with open(args.config) as f:
            cfg = json.load(f)
        for a in cfg.get("accounts", []):
            server.add_account(a["screen_name"], a["password"], bool(a.get("auth_required", False)))
        for c in cfg.get("rate_classes", []):
            server.set_rate_class(int(c["id"]), **{k: v for k, v in c.items() if k != "id"})
    for sn, pw, auth in args.account:
        server.add_account(sn, pw, auth)
    if args.icbm_rate:
        server.set_rate_class(ICBM_RATE_CLASS, **args.icbm_rate)
    await server.start()
    ready = {"auth_port": server.ports["auth"], "bos_port": server.ports["bos"],
             "control_port": server.ports["control"], "pid": os.getpid()}
    await run_until_stopped(server, ready, args.ready_file)
    log.info("stopped")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="passerelle's OSCAR (AIM/ICQ) test server (loopback only)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="authorization service port (0: any)")
    ap.add_argument("--bos-port", type=int, default=0, help="BOS port (0: any)")
    ap.add_argument("--control-port", type=int, default=0, help="control channel port (0: any)")
    ap.add_argument("--account", type=parse_account, action="append", default=[],
                    help="screen_name:password[:auth] (repeatable; ':auth' = ICQ authorization required)")
    ap.add_argument("--config", help="JSON file: {\"accounts\": [...], \"rate_classes\": [...]}")
    ap.add_argument("--icbm-rate", type=parse_rate, help="ICBM rate class: window,clear,alert,limit,disconnect,max")
    ap.add_argument("--max-frame", type=int, default=wire.DEFAULT_MAX_FLAP_PAYLOAD, help="largest FLAP payload")
    ap.add_argument("--ready-file", help="write the ports as JSON here once listening")
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args(argv)
    setup_logging(args.log_level)
    try:
        return asyncio.run(amain(args))
    except ValueError as e:
        print(f"oscar-server: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
