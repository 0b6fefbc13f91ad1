"""OSCAR (AIM/ICQ) wire codec shared by passerelle's OSCAR test server and test client.

Sans-IO: bytes in, typed values out, and back. Every parser checks its bounds and
raises WireError on anything malformed; nothing here touches a socket.

Layouts follow the public OSCAR documents (the NINA wiki "Protocols/OSCAR" pages and
A. Shutko's "OSCAR ICQ v7/v8/v9 protocol documentation", mirrored by iserverd). All
integers are big-endian except inside the ICQ meta TLV (family 0x0015), which is
little-endian.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

FLAP_START = 0x2A
FLAP_HEADER_LEN = 6
SNAC_HEADER_LEN = 10
# Largest FLAP payload accepted by default. The FLAP length field allows 65535; the
# real servers advertised ICBM SNACs up to 8000 bytes, so 8 KiB plus headers is ample.
DEFAULT_MAX_FLAP_PAYLOAD = 8192

CH_SIGNON, CH_DATA, CH_ERROR, CH_SIGNOFF, CH_KEEPALIVE = 1, 2, 3, 4, 5
FLAP_VERSION = b"\x00\x00\x00\x01"

# Foodgroups (SNAC families)
OSERVICE, LOCATE, BUDDY, ICBM, PRIVACY, FEEDBAG, ICQ, BUCP = 0x01, 0x02, 0x03, 0x04, 0x09, 0x13, 0x15, 0x17

# Generic SNAC error codes (ERROR__CODE)
ERR_INVALID_SNAC = 0x01
ERR_RATE_TO_HOST = 0x02
ERR_RATE_TO_CLIENT = 0x03
ERR_NOT_LOGGED_ON = 0x04
ERR_SERVICE_UNAVAILABLE = 0x05
ERR_SERVICE_NOT_DEFINED = 0x06
ERR_NOT_SUPPORTED_BY_HOST = 0x08
ERR_REQUEST_DENIED = 0x0D
ERR_BUSTED_SNAC_PAYLOAD = 0x0E
ERR_SENDER_TOO_EVIL = 0x11      # the sender's warning level is above the recipient's limit
ERR_RECEIVER_TOO_EVIL = 0x12    # the recipient's warning level is above the sender's limit

# BUCP login error codes (TLV 0x0008) and disconnect codes (TLV 0x0009)
LOGIN_ERR_INVALID_SN = 0x0001   # unregistered / invalid screen name or password
LOGIN_ERR_BAD_PASSWORD = 0x0004  # incorrect screen name or password (channel-1 login)
LOGIN_ERR_MISMATCH = 0x0005      # password hash mismatch (BUCP MD5 login)
DISCONNECT_OTHER_LOCATION = 0x0001

# OSERVICE 0x000A rate notification codes
RATE_CODE_CHANGED, RATE_CODE_WARNING, RATE_CODE_LIMITED, RATE_CODE_CLEAR = 1, 2, 3, 4

# User class bits (TLV 0x0001 of a user info block)
CLASS_UNCONFIRMED, CLASS_ADMIN, CLASS_AOL, CLASS_COMMERCIAL = 0x0001, 0x0002, 0x0004, 0x0008
CLASS_FREE, CLASS_AWAY, CLASS_ICQ, CLASS_WIRELESS = 0x0010, 0x0020, 0x0040, 0x0080

# ICQ status (low 16 bits of TLV 0x0006; high 16 bits are flags)
ICQ_ONLINE, ICQ_AWAY, ICQ_DND, ICQ_NA, ICQ_OCCUPIED, ICQ_FFC, ICQ_INVISIBLE = 0x0000, 0x0001, 0x0002, 0x0004, 0x0010, 0x0020, 0x0100
ICQ_AWAY_BITS = ICQ_AWAY | ICQ_DND | ICQ_NA | ICQ_OCCUPIED

# ICBM message charsets (text fragment, id 0x01)
CHARSET_ASCII, CHARSET_UCS2BE, CHARSET_LATIN1 = 0x0000, 0x0002, 0x0003

# Typing (mini typing notification) events
TYPING_DONE, TYPING_TYPED, TYPING_BEGUN = 0, 1, 2

# FEEDBAG item classes and modification status codes
SSI_BUDDY, SSI_GROUP, SSI_PERMIT, SSI_DENY, SSI_PDINFO, SSI_PREFS = 0, 1, 2, 3, 4, 5
SSI_OK, SSI_NOT_FOUND, SSI_EXISTS, SSI_INVALID, SSI_LIMIT, SSI_ICQ_TO_AIM, SSI_NEED_AUTH = 0x00, 0x02, 0x03, 0x0A, 0x0C, 0x0D, 0x0E
SSI_TLV_MEMBERS = 0x00C8
SSI_TLV_AWAITING_AUTH = 0x0066
SSI_TLV_ALIAS = 0x0131

ROAST_KEY = bytes.fromhex("F32681C43986DB9271A3B9E6537A957C")
AIM_MD5_STRING = b"AOL Instant Messenger (SM)"


class WireError(ValueError):
    """Malformed or over-limit bytes."""


# ---------------------------------------------------------------------------------
# Login hashes

def roast(password: bytes) -> bytes:
    """Channel-1 (old ICQ) password roasting: XOR with the fixed 16-byte key, repeated."""
    return bytes(b ^ ROAST_KEY[i % len(ROAST_KEY)] for i, b in enumerate(password))


def weak_md5(authkey: bytes, password: bytes) -> bytes:
    return hashlib.md5(authkey + password + AIM_MD5_STRING).digest()


def strong_md5(authkey: bytes, password: bytes) -> bytes:
    """BUCP hash when the login request carries TLV 0x004C."""
    return hashlib.md5(authkey + hashlib.md5(password).digest() + AIM_MD5_STRING).digest()


# ---------------------------------------------------------------------------------
# Bounded reader / writer

class Reader:
    def __init__(self, data: bytes, what: str = "data"):
        self.data = bytes(data)
        self.pos = 0
        self.what = what

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise WireError(f"{self.what}: need {n} bytes at offset {self.pos}, have {self.remaining()}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def rest(self) -> bytes:
        return self.take(self.remaining())

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def u16le(self) -> int:
        return struct.unpack("<H", self.take(2))[0]

    def u32le(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def str8(self) -> bytes:
        return self.take(self.u8())

    def str16(self) -> bytes:
        return self.take(self.u16())

    def at_end(self) -> bool:
        return self.pos >= len(self.data)


def u8(v: int) -> bytes:
    return struct.pack(">B", v)


def u16(v: int) -> bytes:
    return struct.pack(">H", v)


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def str8(s: bytes | str) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    if len(b) > 255:
        raise WireError("string too long for a byte length")
    return u8(len(b)) + b


def str16(s: bytes | str) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    if len(b) > 0xFFFF:
        raise WireError("string too long for a word length")
    return u16(len(b)) + b


# ---------------------------------------------------------------------------------
# FLAP

@dataclass
class Flap:
    channel: int
    sequence: int
    payload: bytes


def encode_flap(channel: int, sequence: int, payload: bytes) -> bytes:
    if len(payload) > 0xFFFF:
        raise WireError(f"FLAP payload of {len(payload)} bytes does not fit")
    return struct.pack(">BBHH", FLAP_START, channel, sequence & 0xFFFF, len(payload)) + payload


def decode_flap(data: bytes) -> Flap:
    """One whole FLAP frame (exactly)."""
    r = Reader(data, "FLAP")
    if r.u8() != FLAP_START:
        raise WireError("FLAP does not start with 0x2A")
    channel, seq, length = r.u8(), r.u16(), r.u16()
    payload = r.take(length)
    if not r.at_end():
        raise WireError("trailing bytes after FLAP")
    return Flap(channel, seq, payload)


class FlapDecoder:
    """Incremental FLAP framer with a payload size limit. feed() returns the whole
    frames received so far; it raises WireError on a bad start byte, an unknown
    channel or an oversize frame (the caller closes the connection)."""

    def __init__(self, max_payload: int = DEFAULT_MAX_FLAP_PAYLOAD):
        self.max_payload = max_payload
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[Flap]:
        self.buf += data
        frames = []
        while len(self.buf) >= FLAP_HEADER_LEN:
            start, channel, seq, length = struct.unpack(">BBHH", self.buf[:FLAP_HEADER_LEN])
            if start != FLAP_START:
                raise WireError(f"bad FLAP start byte 0x{start:02x}")
            if not 1 <= channel <= 5:
                raise WireError(f"unknown FLAP channel {channel}")
            if length > self.max_payload:
                raise WireError(f"FLAP payload of {length} bytes exceeds the limit of {self.max_payload}")
            if len(self.buf) < FLAP_HEADER_LEN + length:
                break
            payload = bytes(self.buf[FLAP_HEADER_LEN:FLAP_HEADER_LEN + length])
            del self.buf[:FLAP_HEADER_LEN + length]
            frames.append(Flap(channel, seq, payload))
        return frames


# ---------------------------------------------------------------------------------
# TLV

def tlv(t: int, value: bytes | str | int = b"", *, width: int | None = None) -> bytes:
    """A TLV; an int value is encoded as a word (or `width` bytes: 1, 2, 4)."""
    if isinstance(value, int):
        value = value.to_bytes(width or 2, "big")
    elif isinstance(value, str):
        value = value.encode()
    if len(value) > 0xFFFF:
        raise WireError("TLV value too long")
    return u16(t) + u16(len(value)) + value


def encode_tlvs(items) -> bytes:
    """items: iterable of (type, bytes) or a dict."""
    if isinstance(items, dict):
        items = items.items()
    return b"".join(tlv(t, v) for t, v in items)


def decode_tlvs(data: bytes, count: int | None = None, what: str = "TLV chain") -> tuple[list[tuple[int, bytes]], int]:
    """Decodes `count` TLVs (or all of `data`). Returns (list, bytes consumed)."""
    r = Reader(data, what)
    out = []
    while (count is None and not r.at_end()) or (count is not None and len(out) < count):
        t = r.u16()
        out.append((t, r.str16()))
    return out, r.pos


def tlv_dict(items: list[tuple[int, bytes]]) -> dict[int, bytes]:
    """First occurrence wins."""
    d: dict[int, bytes] = {}
    for t, v in items:
        d.setdefault(t, v)
    return d


def tlv_u16(d: dict[int, bytes], t: int, default: int | None = None) -> int | None:
    v = d.get(t)
    if v is None or len(v) < 2:
        return default
    return struct.unpack(">H", v[:2])[0]


def tlv_u32(d: dict[int, bytes], t: int, default: int | None = None) -> int | None:
    v = d.get(t)
    if v is None or len(v) < 4:
        return default
    return struct.unpack(">I", v[:4])[0]


# ---------------------------------------------------------------------------------
# SNAC

SNAC_FLAG_MORE = 0x0001
SNAC_FLAG_OPT_TLV = 0x8000


@dataclass
class Snac:
    family: int
    subtype: int
    flags: int
    request_id: int
    data: bytes

    def key(self) -> tuple[int, int]:
        return (self.family, self.subtype)


def encode_snac(family: int, subtype: int, data: bytes = b"", request_id: int = 0, flags: int = 0) -> bytes:
    return struct.pack(">HHHI", family, subtype, flags, request_id & 0xFFFFFFFF) + data


def decode_snac(payload: bytes) -> Snac:
    """A SNAC from a channel-2 FLAP payload. With flag 0x8000, the optional leading
    (u16 length + bytes) block is skipped; `data` is what follows it."""
    r = Reader(payload, "SNAC")
    family, subtype, flags, reqid = r.u16(), r.u16(), r.u16(), r.u32()
    if flags & SNAC_FLAG_OPT_TLV:
        r.str16()
    return Snac(family, subtype, flags, reqid, r.rest())


# ---------------------------------------------------------------------------------
# Screen names

def normalize_sn(sn: str | bytes) -> str:
    """AIM screen names compare without case and spaces; UINs are digits."""
    if isinstance(sn, bytes):
        sn = sn.decode("latin-1")
    return sn.replace(" ", "").lower()


def is_uin(sn: str) -> bool:
    return sn.isdigit() and 5 <= len(sn) <= 10


# ---------------------------------------------------------------------------------
# User info block

@dataclass
class UserInfo:
    screen_name: str
    warning: int = 0
    tlvs: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def d(self) -> dict[int, bytes]:
        return tlv_dict(self.tlvs)

    @property
    def user_class(self) -> int:
        v = self.d.get(0x0001, b"")
        return int.from_bytes(v, "big") if v else 0

    @property
    def away(self) -> bool:
        return bool(self.user_class & CLASS_AWAY)

    @property
    def icq_status(self) -> int | None:
        return tlv_u32(self.d, 0x0006)

    @property
    def online_since(self) -> int | None:
        return tlv_u32(self.d, 0x0003)


def encode_user_info(info: UserInfo) -> bytes:
    return (str8(info.screen_name) + u16(info.warning) + u16(len(info.tlvs))
            + b"".join(tlv(t, v) for t, v in info.tlvs))


def decode_user_info(r: Reader) -> UserInfo:
    sn = r.str8().decode("latin-1")
    warning = r.u16()
    count = r.u16()
    tlvs = []
    for _ in range(count):
        t = r.u16()
        tlvs.append((t, r.str16()))
    return UserInfo(sn, warning, tlvs)


# ---------------------------------------------------------------------------------
# ICBM

@dataclass
class Fragment:
    id: int
    version: int
    data: bytes


def encode_fragments(frags: list[Fragment]) -> bytes:
    return b"".join(u8(f.id) + u8(f.version) + str16(f.data) for f in frags)


def decode_fragments(data: bytes) -> list[Fragment]:
    r = Reader(data, "ICBM message fragments")
    out = []
    while not r.at_end():
        fid, ver = r.u8(), r.u8()
        out.append(Fragment(fid, ver, r.str16()))
    return out


def choose_charset(text: str) -> int:
    """ASCII when it fits, then ISO-8859-1, else UCS-2BE (UTF-16BE for non-BMP)."""
    if all(ord(c) < 0x80 for c in text):
        return CHARSET_ASCII
    try:
        text.encode("latin-1")
        return CHARSET_LATIN1
    except UnicodeEncodeError:
        return CHARSET_UCS2BE


def encode_text(text: str, charset: int | None = None) -> tuple[int, bytes]:
    cs = choose_charset(text) if charset is None else charset
    if cs == CHARSET_ASCII:
        return cs, text.encode("ascii")
    if cs == CHARSET_LATIN1:
        return cs, text.encode("latin-1")
    if cs == CHARSET_UCS2BE:
        return cs, text.encode("utf-16-be")
    raise WireError(f"unknown charset {cs}")


def decode_text(charset: int, data: bytes) -> str:
    if charset == CHARSET_UCS2BE:
        return data.decode("utf-16-be", errors="replace")
    if charset == CHARSET_LATIN1:
        return data.decode("latin-1")
    # ASCII; old clients put their local 8-bit code page here, so never fail
    return data.decode("ascii", errors="replace") if all(b < 0x80 for b in data) else data.decode("latin-1")


def message_fragments(text: str, charset: int | None = None, caps: bytes = b"\x01") -> list[Fragment]:
    cs, body = encode_text(text, charset)
    return [Fragment(0x05, 0x01, caps), Fragment(0x01, 0x01, u16(cs) + u16(0) + body)]


def text_from_fragments(frags: list[Fragment]) -> tuple[str, int] | None:
    """The text of the first text fragment and its charset, or None."""
    for f in frags:
        if f.id == 0x01:
            if len(f.data) < 4:
                raise WireError("text fragment shorter than its charset header")
            cs = struct.unpack(">H", f.data[:2])[0]
            return decode_text(cs, f.data[4:]), cs
    return None


@dataclass
class IcbmSend:
    """ICBM 0x0006 (client → host) or, with `sender`, 0x0007 (host → client)."""
    cookie: bytes
    channel: int
    screen_name: str                      # target (0x0006) / sender (0x0007)
    tlvs: list[tuple[int, bytes]] = field(default_factory=list)
    sender: UserInfo | None = None

    @property
    def d(self) -> dict[int, bytes]:
        return tlv_dict(self.tlvs)

    def fragments(self) -> list[Fragment]:
        data = self.d.get(0x0002)
        return decode_fragments(data) if data is not None else []

    def text(self) -> tuple[str, int] | None:
        return text_from_fragments(self.fragments())

    @property
    def wants_ack(self) -> bool:
        return 0x0003 in self.d

    @property
    def store_offline(self) -> bool:
        return 0x0006 in self.d


def encode_icbm_send(cookie: bytes, sn: str, text: str | None = None, *, channel: int = 1,
                     charset: int | None = None, ack: bool = False, offline: bool = False,
                     fragments: list[Fragment] | None = None) -> bytes:
    if len(cookie) != 8:
        raise WireError("ICBM cookie must be 8 bytes")
    frags = fragments if fragments is not None else message_fragments(text or "", charset)
    out = cookie + u16(channel) + str8(sn) + tlv(0x0002, encode_fragments(frags))
    if ack:
        out += tlv(0x0003)
    if offline:
        out += tlv(0x0006)
    return out


def decode_icbm_send(data: bytes) -> IcbmSend:
    r = Reader(data, "ICBM send")
    cookie, channel = r.take(8), r.u16()
    sn = r.str8().decode("latin-1")
    tlvs, _ = decode_tlvs(r.rest(), what="ICBM send TLVs")
    return IcbmSend(cookie, channel, sn, tlvs)


def encode_icbm_incoming(cookie: bytes, channel: int, sender: UserInfo, tlvs: list[tuple[int, bytes]]) -> bytes:
    return cookie + u16(channel) + encode_user_info(sender) + encode_tlvs(tlvs)


def decode_icbm_incoming(data: bytes) -> IcbmSend:
    r = Reader(data, "ICBM incoming")
    cookie, channel = r.take(8), r.u16()
    sender = decode_user_info(r)
    tlvs, _ = decode_tlvs(r.rest(), what="ICBM incoming TLVs")
    return IcbmSend(cookie, channel, sender.screen_name, tlvs, sender)


def encode_typing(cookie: bytes, sn: str, event: int, channel: int = 1) -> bytes:
    return cookie + u16(channel) + str8(sn) + u16(event)


def decode_typing(data: bytes) -> tuple[bytes, int, str, int]:
    r = Reader(data, "typing notification")
    cookie, channel = r.take(8), r.u16()
    sn = r.str8().decode("latin-1")
    return cookie, channel, sn, r.u16()


@dataclass
class IcbmParams:
    channel: int = 0
    flags: int = 0x00000003
    max_snac: int = 8000
    max_sender_warn: int = 999
    max_receiver_warn: int = 999
    min_interval: int = 0


def encode_icbm_params(p: IcbmParams) -> bytes:
    return struct.pack(">HIHHHI", p.channel, p.flags, p.max_snac, p.max_sender_warn, p.max_receiver_warn, p.min_interval)


def decode_icbm_params(data: bytes) -> IcbmParams:
    r = Reader(data, "ICBM params")
    return IcbmParams(r.u16(), r.u32(), r.u16(), r.u16(), r.u16(), r.u32())


# Warnings ("evil"): levels are in tenths of a percent (0..1000).
EVIL_FLAG_ANONYMOUS = 0x0001
WARNING_MAX = 1000


def encode_evil_request(sn: str, anonymous: bool = False) -> bytes:
    """ICBM 0x0008: flags word (0x0001 anonymous), the screen name to warn (string08)."""
    return u16(EVIL_FLAG_ANONYMOUS if anonymous else 0) + str8(sn)


def decode_evil_request(data: bytes) -> tuple[bool, str]:
    r = Reader(data, "evil request")
    flags = r.u16()
    sn = r.str8().decode("latin-1")
    if not sn:
        raise WireError("evil request without a screen name")
    return bool(flags & EVIL_FLAG_ANONYMOUS), sn


def encode_evil_reply(delta: int, level: int) -> bytes:
    """ICBM 0x0009: warning level gained, then the new level."""
    return u16(delta) + u16(level)


def decode_evil_reply(data: bytes) -> tuple[int, int]:
    r = Reader(data, "evil reply")
    return r.u16(), r.u16()


def encode_evil_notification(level: int, warner: UserInfo | None) -> bytes:
    """OSERVICE 0x0010: the new level, then the warner's user info block (none when anonymous)."""
    return u16(level) + (encode_user_info(warner) if warner is not None else b"")


def decode_evil_notification(data: bytes) -> tuple[int, UserInfo | None]:
    r = Reader(data, "evil notification")
    level = r.u16()
    return level, (decode_user_info(r) if not r.at_end() else None)


# ---------------------------------------------------------------------------------
# OSERVICE

def encode_versions(pairs: list[tuple[int, int]]) -> bytes:
    return b"".join(u16(f) + u16(v) for f, v in pairs)


def decode_versions(data: bytes) -> list[tuple[int, int]]:
    r = Reader(data, "version list")
    out = []
    while not r.at_end():
        out.append((r.u16(), r.u16()))
    return out


def encode_client_online(entries: list[tuple[int, int, int, int]]) -> bytes:
    """OSERVICE 0x0002: (family, version, tool id, tool version) per foodgroup."""
    return b"".join(struct.pack(">HHHH", *e) for e in entries)


def decode_client_online(data: bytes) -> list[tuple[int, int, int, int]]:
    r = Reader(data, "client online")
    out = []
    while not r.at_end():
        out.append((r.u16(), r.u16(), r.u16(), r.u16()))
    return out


@dataclass
class RateClass:
    id: int
    window: int
    clear: int
    alert: int
    limit: int
    disconnect: int
    max: int
    current: int | None = None   # None: starts at `max`
    last_time: int = 0           # ms since the last SNAC of the class
    state: int = 0               # 1 while the host drops the class's SNACs

    def params(self) -> dict:
        return {"id": self.id, "window": self.window, "clear": self.clear, "alert": self.alert,
                "limit": self.limit, "disconnect": self.disconnect, "max": self.max}


def encode_rate_class(c: RateClass) -> bytes:
    cur = c.max if c.current is None else c.current
    return (u16(c.id) + struct.pack(">IIIIIIII", c.window, c.clear, c.alert, c.limit, c.disconnect,
                                    int(cur), c.max, c.last_time) + u8(c.state))


def decode_rate_class(r: Reader) -> RateClass:
    cid = r.u16()
    w, cl, al, li, di, cur, mx, last = struct.unpack(">IIIIIIII", r.take(32))
    return RateClass(cid, w, cl, al, li, di, mx, cur, last, r.u8())


def encode_rate_params(classes: list[RateClass], members: dict[int, list[tuple[int, int]]]) -> bytes:
    out = u16(len(classes)) + b"".join(encode_rate_class(c) for c in classes)
    for c in classes:
        pairs = members.get(c.id, [])
        out += u16(c.id) + u16(len(pairs)) + b"".join(u16(f) + u16(s) for f, s in pairs)
    return out


def decode_rate_params(data: bytes) -> tuple[list[RateClass], dict[int, list[tuple[int, int]]]]:
    r = Reader(data, "rate params")
    n = r.u16()
    classes = [decode_rate_class(r) for _ in range(n)]
    members: dict[int, list[tuple[int, int]]] = {}
    for _ in range(n):
        cid, cnt = r.u16(), r.u16()
        members[cid] = [(r.u16(), r.u16()) for _ in range(cnt)]
    return classes, members


def encode_rate_change(code: int, c: RateClass) -> bytes:
    """OSERVICE 0x000A: notification code, then the class as in 0x0007."""
    return u16(code) + encode_rate_class(c)


def decode_rate_change(data: bytes) -> tuple[int, RateClass]:
    r = Reader(data, "rate change")
    return r.u16(), decode_rate_class(r)


def rate_level(old: float, delta_ms: float, window: int, maximum: int) -> float:
    """The moving average: new = (old * (window - 1) + delta) / window, capped at max."""
    return min(float(maximum), (old * (window - 1) + delta_ms) / window)


# ---------------------------------------------------------------------------------
# FEEDBAG (SSI)

@dataclass
class SsiItem:
    name: str
    group_id: int
    item_id: int
    cls: int
    tlvs: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def d(self) -> dict[int, bytes]:
        return tlv_dict(self.tlvs)

    def to_json(self) -> dict:
        return {"name": self.name, "group_id": self.group_id, "item_id": self.item_id, "class": self.cls,
                "tlvs": {f"0x{t:04x}": v.hex() for t, v in self.tlvs}}


def encode_ssi_item(it: SsiItem) -> bytes:
    name = it.name.encode("utf-8")
    body = encode_tlvs(it.tlvs)
    return str16(name) + u16(it.group_id) + u16(it.item_id) + u16(it.cls) + str16(body)


def decode_ssi_item(r: Reader) -> SsiItem:
    name = r.str16().decode("utf-8", errors="replace")
    gid, iid, cls = r.u16(), r.u16(), r.u16()
    tlvs, _ = decode_tlvs(r.str16(), what="SSI item TLVs")
    return SsiItem(name, gid, iid, cls, tlvs)


def decode_ssi_items(data: bytes) -> list[SsiItem]:
    r = Reader(data, "SSI items")
    out = []
    while not r.at_end():
        out.append(decode_ssi_item(r))
    return out


def encode_ssi_list(items: list[SsiItem], last_modified: int) -> bytes:
    """FEEDBAG 0x0006 reply: version byte 0, item count, items, last-modified time."""
    return u8(0) + u16(len(items)) + b"".join(encode_ssi_item(i) for i in items) + u32(last_modified)


def decode_ssi_list(data: bytes) -> tuple[list[SsiItem], int]:
    r = Reader(data, "SSI list")
    r.u8()
    n = r.u16()
    items = [decode_ssi_item(r) for _ in range(n)]
    return items, r.u32()


def encode_auth_request(sn: str, reason: str) -> bytes:
    """FEEDBAG 0x0018 / 0x0019 (and 0x0014 / 0x0015 future grants)."""
    return str8(sn) + str16(reason.encode("utf-8")) + u16(0)


def decode_auth_request(data: bytes) -> tuple[str, str]:
    r = Reader(data, "auth request")
    sn = r.str8().decode("latin-1")
    reason = r.str16().decode("utf-8", errors="replace") if r.remaining() >= 2 else ""
    return sn, reason


def encode_auth_reply(sn: str, accepted: bool, reason: str) -> bytes:
    """FEEDBAG 0x001A / 0x001B."""
    return str8(sn) + u8(1 if accepted else 0) + str16(reason.encode("utf-8"))


def decode_auth_reply(data: bytes) -> tuple[str, bool, str]:
    r = Reader(data, "auth reply")
    sn = r.str8().decode("latin-1")
    flag = r.u8()
    reason = r.str16().decode("utf-8", errors="replace") if r.remaining() >= 2 else ""
    return sn, bool(flag), reason


# ---------------------------------------------------------------------------------
# ICQ meta (family 0x0015): TLV 0x0001 holding little-endian data

META_OFFLINE_REQ, META_OFFLINE_DEL, META_OFFLINE_MSG, META_OFFLINE_END = 0x003C, 0x003E, 0x0041, 0x0042
META_INFO_REQ, META_INFO_REPLY = 0x07D0, 0x07DA


@dataclass
class IcqMeta:
    uin: int
    type: int
    seq: int
    data: bytes = b""


def encode_icq_meta(m: IcqMeta) -> bytes:
    body = struct.pack("<IHH", m.uin, m.type, m.seq) + m.data
    inner = struct.pack("<H", len(body)) + body
    return tlv(0x0001, inner)


def decode_icq_meta(snac_data: bytes) -> IcqMeta:
    d = tlv_dict(decode_tlvs(snac_data, what="ICQ meta")[0])
    inner = d.get(0x0001)
    if inner is None:
        raise WireError("ICQ meta without TLV 0x0001")
    r = Reader(inner, "ICQ meta data")
    size = r.u16le()
    if size != r.remaining():
        raise WireError(f"ICQ meta chunk size {size} does not match {r.remaining()} bytes")
    uin, typ, seq = r.u32le(), r.u16le(), r.u16le()
    return IcqMeta(uin, typ, seq, r.rest())


@dataclass
class OfflineMessage:
    sender_uin: int
    year: int
    month: int
    day: int
    hour: int
    minute: int
    msg_type: int
    msg_flags: int
    text: bytes            # without the terminating NUL


def encode_offline_message(m: OfflineMessage) -> bytes:
    body = m.text + b"\x00"
    return struct.pack("<IHBBBBBBH", m.sender_uin, m.year, m.month, m.day, m.hour, m.minute,
                       m.msg_type, m.msg_flags, len(body)) + body


def decode_offline_message(data: bytes) -> OfflineMessage:
    r = Reader(data, "offline message")
    uin, year = r.u32le(), r.u16le()
    month, day, hour, minute, mtype, mflags = (r.u8() for _ in range(6))
    body = r.take(r.u16le())
    if body.endswith(b"\x00"):
        body = body[:-1]
    return OfflineMessage(uin, year, month, day, hour, minute, mtype, mflags, body)
