"""A tiny SMPP 3.4 client (raw socket + struct), written independently of passerelle's
own codec, to check the SMSC simulator and to play an ESME in tests.

Only what the tests need: binds, submit_sm, enquire_link, unbind, reading deliver_sm
(with its TLVs) and answering it. Blocking, with a timeout on every read.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
BIND_TRANSCEIVER = 0x00000009
ENQUIRE_LINK = 0x00000015
GENERIC_NACK = 0x80000000
RESP = 0x80000000

ESME_ROK = 0x00
ESME_RINVCMDLEN = 0x02
ESME_RINVBNDSTS = 0x04
ESME_RBINDFAIL = 0x0D
ESME_RTHROTTLED = 0x58

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427

_BINDS = {"transmitter": BIND_TRANSMITTER, "receiver": BIND_RECEIVER,
          "transceiver": BIND_TRANSCEIVER}

# GSM 03.38 default alphabet and extension table (3GPP TS 23.038), for decoding.
GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
             "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXT = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
           0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
assert len(GSM_BASIC) == 128


def gsm_decode(data: bytes) -> str:
    out, i = [], 0
    while i < len(data):
        b = data[i]
        if b == 0x1B and i + 1 < len(data):
            i += 1
            out.append(GSM_EXT.get(data[i], GSM_BASIC[data[i] & 0x7F]))
        else:
            out.append(GSM_BASIC[b & 0x7F])
        i += 1
    return "".join(out)


def gsm_encode(text: str) -> bytes:
    rev = {c: bytes([i]) for i, c in enumerate(GSM_BASIC) if i != 0x1B}
    rev.update({c: bytes([0x1B, k]) for k, c in GSM_EXT.items()})
    return b"".join(rev[c] for c in text)


def cstr(s: str | bytes) -> bytes:
    return (s.encode("latin-1") if isinstance(s, str) else s) + b"\x00"


class ConnectionClosed(Exception):
    pass


@dataclass
class Pdu:
    command_id: int
    status: int
    seq: int
    body: bytes

    @property
    def is_resp(self) -> bool:
        return bool(self.command_id & RESP)


@dataclass
class DeliverSm:
    seq: int
    source_addr_ton: int
    source_addr_npi: int
    source_addr: str
    dest_addr_ton: int
    dest_addr_npi: int
    destination_addr: str
    esm_class: int
    registered_delivery: int
    data_coding: int
    short_message: bytes
    tlvs: dict[int, bytes] = field(default_factory=dict)

    @property
    def udh(self) -> bytes | None:
        if self.esm_class & 0x40 and self.short_message:
            return self.short_message[: self.short_message[0] + 1]
        return None

    @property
    def payload(self) -> bytes:
        u = self.udh
        return self.short_message[len(u):] if u else self.short_message

    def text(self) -> str:
        if self.data_coding == 0x08:
            return self.payload.decode("utf-16-be")
        return gsm_decode(self.payload)

    def concat(self) -> tuple[int, int, int] | None:
        """(ref, total, seq) from the UDH concatenation IE (8- or 16-bit ref)."""
        u = self.udh
        if not u:
            return None
        i = 1
        while i + 2 <= len(u):
            iei, ln = u[i], u[i + 1]
            d = u[i + 2:i + 2 + ln]
            if iei == 0x00 and ln == 3:
                return d[0], d[1], d[2]
            if iei == 0x08 and ln == 4:
                return (d[0] << 8) | d[1], d[2], d[3]
            i += 2 + ln
        return None


def _read_cstr(body: bytes, off: int) -> tuple[str, int]:
    end = body.index(b"\x00", off)
    return body[off:end].decode("latin-1"), end + 1


def parse_deliver_sm(pdu: Pdu) -> DeliverSm:
    b, off = pdu.body, 0
    _service_type, off = _read_cstr(b, off)
    s_ton, s_npi = b[off], b[off + 1]
    src, off = _read_cstr(b, off + 2)
    d_ton, d_npi = b[off], b[off + 1]
    dst, off = _read_cstr(b, off + 2)
    esm, _pid, _prio = b[off], b[off + 1], b[off + 2]
    _sched, off = _read_cstr(b, off + 3)
    _valid, off = _read_cstr(b, off)
    reg, _replace, dc, _default_id, sm_len = b[off:off + 5]
    off += 5
    sm = b[off:off + sm_len]
    off += sm_len
    tlvs = {}
    while off + 4 <= len(b):
        tag, ln = struct.unpack_from(">HH", b, off)
        tlvs[tag] = b[off + 4:off + 4 + ln]
        off += 4 + ln
    return DeliverSm(pdu.seq, s_ton, s_npi, src, d_ton, d_npi, dst, esm, reg, dc, sm, tlvs)


class SmppClient:
    """client = SmppClient(port); client.bind("transceiver", "passerelle", "secret")"""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.seq = 0
        self.buf = b""
        self.inbox: list[Pdu] = []  # requests from the SMSC read while awaiting a resp

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "SmppClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- raw PDUs ---------------------------------------------------------------------

    def send_pdu(self, command_id: int, body: bytes = b"", status: int = 0,
                 seq: int | None = None) -> int:
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.sock.sendall(struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body)
        return seq

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_pdu(self, timeout: float | None = None) -> Pdu:
        """The next PDU; raises ConnectionClosed on EOF/reset, socket.timeout on timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if len(self.buf) >= 16:
                length, cid, status, seq = struct.unpack_from(">IIII", self.buf)
                if len(self.buf) >= length:
                    body = self.buf[16:length]
                    self.buf = self.buf[length:]
                    return Pdu(cid, status, seq, body)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("no PDU in time")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError as e:
                raise ConnectionClosed("connection reset") from e
            if not data:
                raise ConnectionClosed("connection closed by peer")
            self.buf += data

    def request(self, command_id: int, body: bytes = b"", timeout: float | None = None) -> Pdu:
        """Sends a request and returns its resp (or a generic_nack for it); requests
        from the SMSC that arrive meanwhile go to self.inbox (enquire_link answered)."""
        seq = self.send_pdu(command_id, body)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            pdu = self.read_pdu(max(0.0, deadline - time.monotonic()))
            if pdu.is_resp and pdu.seq == seq:
                return pdu
            if not pdu.is_resp:
                if pdu.command_id == ENQUIRE_LINK:
                    self.send_pdu(ENQUIRE_LINK | RESP, seq=pdu.seq)
                else:
                    self.inbox.append(pdu)

    # -- operations ------------------------------------------------------------------

    def bind(self, kind: str = "transceiver", system_id: str = "passerelle",
             password: str = "secret", system_type: str = "") -> int:
        body = cstr(system_id) + cstr(password) + cstr(system_type) + bytes([0x34, 0, 0]) + cstr("")
        return self.request(_BINDS[kind], body).status

    def submit_sm(self, source: str, dest: str, short_message: bytes, *, data_coding: int = 0,
                  esm_class: int = 0, registered_delivery: int = 0, source_ton: int = 1,
                  source_npi: int = 1, dest_ton: int = 1, dest_npi: int = 1) -> tuple[int, str | None]:
        """Returns (command_status, message_id or None)."""
        body = (cstr("") + bytes([source_ton, source_npi]) + cstr(source)
                + bytes([dest_ton, dest_npi]) + cstr(dest)
                + bytes([esm_class, 0, 0]) + cstr("") + cstr("")
                + bytes([registered_delivery, 0, data_coding, 0, len(short_message)])
                + short_message)
        resp = self.request(SUBMIT_SM, body)
        if resp.command_id != SUBMIT_SM | RESP:
            return resp.status, None
        mid = resp.body.split(b"\x00", 1)[0].decode() if resp.body else None
        return resp.status, mid

    def enquire_link(self) -> int:
        return self.request(ENQUIRE_LINK).status

    def unbind(self) -> int:
        return self.request(UNBIND).status

    def next_deliver_sm(self, timeout: float | None = None, status: int = ESME_ROK,
                        respond: bool = True) -> DeliverSm:
        """The next deliver_sm (from self.inbox first), answered with `status` unless
        respond=False; enquire_link meanwhile is answered."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.inbox:
                pdu = self.inbox.pop(0)
            else:
                pdu = self.read_pdu(max(0.0, deadline - time.monotonic()))
            if pdu.command_id == ENQUIRE_LINK:
                self.send_pdu(ENQUIRE_LINK | RESP, seq=pdu.seq)
                continue
            if pdu.command_id != DELIVER_SM:
                continue
            if respond:
                self.send_pdu(DELIVER_SM | RESP, cstr("") if status == 0 else b"", status, pdu.seq)
            return parse_deliver_sm(pdu)
