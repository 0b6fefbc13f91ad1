"""passerelle's MSNP test server: notification server (NS), switchboard (SB), Passport
1.4 ("Tweener") login endpoint and a JSON-lines control channel, all on 127.0.0.1.

    python3 -m tests.peers.msn.server --port 0 [--versions MSNP12,MSNP8] [--dispatch]
        [--ready-file FILE] [--account email:password:Name ...] [--sb-idle-timeout 60]
        [--login-cert cert.pem [--login-key key.pem]]   (the login endpoint on HTTPS)

Prints one JSON line on stdout when it listens:
    {"ready": true, "ns_port": N, "ns2_port": N|null, "sb_port": N, "login_port": N,
     "control_port": N, "login_tls": false, "pid": N}
(also written to --ready-file). SIGTERM/SIGINT or the control command "shutdown" send
"OUT SSD" to every NS session and exit 0. README.md documents the protocol choices.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import secrets
import signal
import ssl
import sys
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
    from tests.peers.msn import challenge as chl  # noqa: E402
    from tests.peers.msn import wire  # noqa: E402
else:
    from . import challenge as chl
    from . import wire

HOST = "127.0.0.1"
log = logging.getLogger("msn-test-server")

FL, AL, BL, RL, PL = 1, 2, 4, 8, 16
LIST_BITS = {"FL": FL, "AL": AL, "BL": BL, "RL": RL, "PL": PL}
STATUSES = {"NLN", "BSY", "IDL", "BRB", "AWY", "PHN", "LUN", "HDN"}
EMAIL_RE = re.compile(r"^[A-Za-z0-9._\-+]+@([A-Za-z0-9\-]+\.)+[A-Za-z]+$")
MAX_NAME_BYTES = 387          # longest URL-encoded friendly name accepted
WRITE_BUFFER_LIMIT = 1 << 20  # a peer that stops reading is dropped past this
ROUTED_LOG_LIMIT = 10000
SYN_TIMESTAMP = "2005-04-23T18:57:44.8130000-07:00"

# Numeric errors (hypothetic.org "Reference - Error List", MSNPiki).
ERR_SYNTAX = 200
ERR_INVALID_PARAMETER = 201
ERR_INVALID_USER = 205
ERR_INVALID_USER2 = 208
ERR_NAME_ILLEGAL = 209
ERR_ALREADY_ON_LIST = 215
ERR_NOT_ON_LIST = 216
ERR_NOT_ONLINE = 217
ERR_ALREADY_IN_MODE = 218
ERR_INVALID_GROUP = 224
ERR_COMMAND_DISABLED = 502
ERR_CHALLENGE_FAILED = 540
ERR_NOT_EXPECTED = 715
ERR_AUTH_FAILED = 911
ERR_NOT_ALLOWED_OFFLINE = 913


# ----------------------------------------------------------------------------- model

@dataclass
class Group:
    num: int
    guid: str
    name: str


@dataclass
class Entry:
    email: str
    lists: int = 0
    groups: list[int] = field(default_factory=list)


@dataclass
class Account:
    email: str
    password: str
    name: str                      # display form (decoded)
    guid: str = field(default_factory=lambda: str(uuid.uuid4()))
    contacts: dict[str, Entry] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    gtc: str = "A"
    blp: str = "AL"
    list_version: int = 1
    psm: str = ""                  # raw XML text inside <PSM>
    media: str = ""                # raw XML text inside <CurrentMedia>
    phones: dict[str, str] = field(default_factory=dict)

    @property
    def wire_name(self) -> str:
        return wire.url_encode_name(self.name)

    def entry(self, email: str) -> Entry | None:
        return self.contacts.get(email.lower())

    def group_by_num(self, num: int) -> Group | None:
        return next((g for g in self.groups if g.num == num), None)

    def group_by_guid(self, guid: str) -> Group | None:
        return next((g for g in self.groups if g.guid == guid), None)

    def bump(self) -> int:
        self.list_version += 1
        return self.list_version

    def blocks(self, other_email: str) -> bool:
        """Whether this account hides its presence from other_email."""
        e = self.entry(other_email)
        if e and e.lists & BL:
            return True
        if self.blp == "BL" and not (e and e.lists & AL):
            return True
        return False


def ubx_payload(acc: Account) -> bytes:
    return f"<Data><PSM>{acc.psm}</PSM><CurrentMedia>{acc.media}</CurrentMedia></Data>".encode("utf-8")


def xml_inner(payload: str, tag: str) -> str | None:
    m = re.search(rf"<{tag}\s*/>|<{tag}>(.*?)</{tag}>", payload, re.S)
    if m is None:
        return None
    return m.group(1) or ""


# ------------------------------------------------------------------------ connections

class Conn:
    """One TCP connection (NS, SB or dispatch)."""

    kind = "conn"
    payload_commands = wire.CLIENT_PAYLOAD_COMMANDS

    def __init__(self, server: "Server", reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.server = server
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.peer_port = peer[1]
        self.closed = False
        self.max_payload = wire.MAX_PAYLOAD

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        if self.writer.transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            self.close(f"peer not reading ({WRITE_BUFFER_LIMIT} bytes queued)")
            return
        log.debug("%s %s > %r", self.kind, self.peer, data[:200])
        self.writer.write(data)

    def reply(self, name: str, *args: object, payload: bytes | None = None) -> None:
        self.send(wire.encode(name, *args, payload=payload))

    def error(self, code: int, trid: str | None) -> None:
        self.reply(str(code), trid)

    def close(self, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        if reason:
            log.info("%s %s closed: %s", self.kind, self.peer, reason)
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001
            pass
        self.on_close()

    def on_close(self) -> None:
        pass

    async def run(self) -> None:
        self.server.conns.add(self)
        try:
            while not self.closed:
                try:
                    cmd = await wire.read_command(self.reader, self.payload_commands,
                                                  max_payload=self.max_payload)
                except wire.ProtocolError as e:
                    self.server.record("protocol_error", conn=self.kind, peer=self.peer, reason=str(e))
                    self.close(f"protocol error: {e}")
                    break
                if cmd is None:
                    self.close("peer closed the connection")
                    break
                log.debug("%s %s < %s", self.kind, self.peer, cmd)
                try:
                    self.handle(cmd)
                except Exception as e:  # noqa: BLE001 - one bad command never stops the server
                    log.exception("%s %s: error handling %s", self.kind, self.peer, cmd.line()[:80])
                    self.server.record("server_error", conn=self.kind, peer=self.peer, reason=repr(e))
                    self.close(f"error handling {cmd.name}: {e!r}")
                    break
                try:
                    await self.writer.drain()
                except (ConnectionError, OSError):
                    self.close("connection lost")
        except (ConnectionError, OSError) as e:
            self.close(f"connection error: {e}")
        except asyncio.CancelledError:
            self.close("server stopping")
            raise
        finally:
            self.server.conns.discard(self)

    def handle(self, cmd: wire.Command) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class NsConn(Conn):
    """A notification-server connection (or, with dispatch=True, the dispatch server
    that only redirects to the real NS with XFR NS)."""

    kind = "ns"

    def __init__(self, server, reader, writer, dispatch: bool = False):
        super().__init__(server, reader, writer)
        self.dispatch = dispatch
        if dispatch:
            self.kind = "dispatch"
        self.dialect = 0
        self.cvr_done = False
        self.usr_email: str | None = None
        self.account: Account | None = None
        self.status: str | None = None       # None until the first CHG
        self.caps = "0"
        self.msnobj: str | None = None
        self.syn_done = False
        self.pending_challenge: str | None = None
        self.challenge_task: asyncio.Task | None = None
        self.max_payload = 8192

    # -- helpers

    @property
    def email(self) -> str | None:
        return self.account.email if self.account else None

    def visible(self) -> bool:
        return self.account is not None and self.status is not None and self.status != "HDN" and not self.closed

    def ser(self, acc: Account | None = None, bump: bool = False) -> int | None:
        """The list serial that MSNP8/9 put in list commands (None from MSNP10 on)."""
        acc = acc or self.account
        if self.dialect >= 10:
            if bump:
                acc.bump()
            return None
        return acc.bump() if bump else acc.list_version

    def presence_args(self, target: "NsConn") -> list[object]:
        """status email [netid] name [caps] [msnobj] of `target` as seen by this session."""
        acc = target.account
        args: list[object] = [target.status, acc.email]
        if 14 <= self.dialect:
            args.append(1)
        args.append(acc.wire_name)
        if self.dialect >= 8:
            args.append(target.caps)
        if self.dialect >= 9:
            args.append(quote(target.msnobj or "<msnobj/>", safe=""))
        return args

    def send_presence(self, target: "NsConn", trid: str | None = None) -> None:
        """ILN (with trid) or NLN for a visible contact, then UBX from MSNP11 on."""
        if trid is not None:
            self.reply("ILN", trid, *self.presence_args(target))
        else:
            self.reply("NLN", *self.presence_args(target))
        if trid is not None and self.dialect >= 11:
            self.send_ubx(target.account)

    def send_ubx(self, acc: Account) -> None:
        if self.dialect >= 11:
            netid = 1 if self.dialect >= 14 else None
            self.reply("UBX", acc.email, netid, payload=ubx_payload(acc))

    def can_see(self, target: "NsConn") -> bool:
        """Whether this (online) session gets the presence of target."""
        if self.account is None or self.status is None or self.closed:
            return False
        e = self.account.entry(target.account.email)
        return bool(e and e.lists & FL) and target.visible() and not target.account.blocks(self.account.email)

    # -- dispatch

    def handle(self, cmd: wire.Command) -> None:
        name = cmd.name
        if self.dialect == 0 and name != "VER":
            self.close(f"first command must be VER, got {name[:20]!r}")
            return
        handler = getattr(self, "c_" + name, None) if name.isalpha() and name.isupper() else None
        if self.account is None and name not in ("VER", "CVR", "USR", "PNG", "OUT", "QRY"):
            self.close(f"{name[:20]!r} before login")
            return
        if handler is None:
            if cmd.trid and cmd.trid.isdigit():
                self.error(ERR_SYNTAX, cmd.trid)
            else:
                self.close(f"unknown command {name[:20]!r}")
            return
        handler(cmd)

    # -- login

    def c_VER(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        if trid is None or not trid.isdigit():
            self.close("VER without a transaction id")
            return
        offered = [a.upper() for a in cmd.args[1:]]
        chosen = next((v for v in self.server.versions if v in offered), None)
        if chosen is None:
            self.reply("VER", trid, 0)
            self.close(f"no common protocol version in {offered}")
            return
        self.dialect = int(chosen[4:])
        self.reply("VER", trid, chosen)

    def c_CVR(self, cmd: wire.Command) -> None:
        version = cmd.args[6] if len(cmd.args) > 6 else "7.5.0324"
        self.cvr_done = True
        self.reply("CVR", cmd.trid, version, version, version,
                   "http://127.0.0.1/download", "http://127.0.0.1/info")

    def c_USR(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        args = cmd.args[1:]
        if self.account is not None:
            self.error(ERR_INVALID_USER, trid)
            return
        if len(args) < 3 or args[0] != "TWN":
            self.error(ERR_AUTH_FAILED, trid)
            self.close("USR: only TWN authentication is offered")
            return
        stage, value = args[1], args[2]
        if stage == "I":
            acc = self.server.account(value)
            if acc is None:
                self.server.record("login_failed", email=value, reason="unknown account")
                self.error(ERR_AUTH_FAILED, trid)
                self.close(f"USR TWN I for unknown account {value!r}")
                return
            self.usr_email = acc.email
            if self.dispatch:
                ns2 = self.server.ns2_port
                self.reply("XFR", trid, "NS", f"{HOST}:{ns2}", 0, f"{HOST}:{self.server.ns_port}")
                self.close("dispatch: redirected to the notification server")
                return
            self.reply("USR", trid, "TWN", "S", self.server.tweener_challenge())
            return
        if stage == "S":
            email = self.usr_email
            ok = email is not None and self.server.take_ticket(value, email)
            if not ok:
                self.server.record("login_failed", email=email, reason="bad ticket")
                self.error(ERR_AUTH_FAILED, trid)
                self.close(f"USR TWN S: bad ticket for {email!r}")
                return
            self.login(trid, value)
            return
        self.error(ERR_AUTH_FAILED, trid)
        self.close(f"USR TWN: unknown stage {stage[:10]!r}")

    def login(self, trid: str, ticket: str) -> None:
        server = self.server
        acc = server.account(self.usr_email)
        old = server.sessions.get(acc.email.lower())
        if old is not None and old is not self:
            server.record("out_oth", email=acc.email, peer=old.peer)
            old.reply("OUT", "OTH")
            old.close("signed in from another place (OUT OTH)")
        self.account = acc
        server.sessions[acc.email.lower()] = self
        server.record("login", email=acc.email, dialect=self.dialect, peer=self.peer)
        if self.dialect >= 10:
            ok_line = wire.encode("USR", trid, "OK", acc.email, 1, 0)
        else:
            ok_line = wire.encode("USR", trid, "OK", acc.email, acc.wire_name, 1, 0)
        profile = wire.encode("MSG", "Hotmail", "Hotmail", payload=self.profile_payload(ticket))
        if self.dialect < 10 and server.msnp8_profile_first:
            self.send(profile)
            self.send(ok_line)
            return
        self.send(ok_line)
        if self.dialect >= 11:
            self.reply("SBS", 0, "null")
        self.send(profile)

    def profile_payload(self, ticket: str) -> bytes:
        acc = self.account
        member = int(acc.guid.replace("-", "")[:16], 16)
        auth = ticket.split("&", 1)[0][2:] if ticket.startswith("t=") else ticket
        lines = [
            "MIME-Version: 1.0",
            "Content-Type: text/x-msmsgsprofile; charset=UTF-8",
            f"LoginTime: {int(time.time())}",
            "EmailEnabled: 0",
            f"MemberIdHigh: {member >> 32}",
            f"MemberIdLow: {member & 0xFFFFFFFF}",
            "lang_preference: 1033",
            "preferredEmail: ",
            "country: ",
            "PostalCode: ",
            "Gender: ",
            "Kid: 0",
            "Age: ",
            "BDayPre: ",
            "Birthday: ",
            "Wallet: ",
            "Flags: 1027",
            "sid: 507",
            f"MSPAuth: {auth}",
            "ClientIP: 127.0.0.1",
            f"ClientPort: {self.peer_port}",
        ]
        if self.dialect >= 11:
            lines += ["ABCHMigrated: 1", "MPOPEnabled: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    # -- lists

    def c_SYN(self, cmd: wire.Command) -> None:
        acc = self.account
        trid = cmd.trid
        contacts = list(acc.contacts.values())
        if self.dialect < 10:
            client_ver = cmd.args[1] if len(cmd.args) > 1 else "0"
            if client_ver == str(acc.list_version):
                self.reply("SYN", trid, acc.list_version)
                self.syn_done = True
                return
            self.reply("SYN", trid, acc.list_version, len(contacts), len(acc.groups) + 1)
            self.reply("GTC", acc.gtc)
            self.reply("BLP", acc.blp)
            for key, value in acc.phones.items():
                self.reply("PRP", key, value)
            self.reply("LSG", 0, "Other%20Contacts", 0)
            for g in acc.groups:
                self.reply("LSG", g.num, wire.url_encode_name(g.name), 0)
            for e in contacts:
                other = self.server.account(e.email)
                name = other.wire_name if other else e.email
                groups = ",".join(str(n) for n in e.groups) or "0"
                self.reply("LST", e.email, name, e.lists, groups)
        else:
            self.reply("SYN", trid, SYN_TIMESTAMP, SYN_TIMESTAMP, len(contacts), len(acc.groups))
            self.reply("GTC", acc.gtc)
            self.reply("BLP", acc.blp)
            for key, value in acc.phones.items():
                self.reply("PRP", key, value)
            self.reply("PRP", "MFN", acc.wire_name)
            for g in acc.groups:
                self.reply("LSG", wire.url_encode_name(g.name), g.guid if self.dialect >= 11 else g.num)
            for e in contacts:
                other = self.server.account(e.email)
                fields = [f"N={e.email}", f"F={other.wire_name if other else e.email}"]
                if e.lists & FL and other is not None:
                    fields.append(f"C={other.guid}")
                fields.append(str(e.lists))
                if self.dialect >= 12:
                    fields.append("1")
                groups = [acc.group_by_num(n) for n in e.groups]
                fields.append(",".join((g.guid if self.dialect >= 11 else str(g.num)) for g in groups if g))
                self.send(("LST " + " ".join(fields) + "\r\n").encode("utf-8"))
        self.syn_done = True

    def c_GTC(self, cmd: wire.Command) -> None:
        self._setting(cmd, "gtc", ("A", "N"))

    def c_BLP(self, cmd: wire.Command) -> None:
        self._setting(cmd, "blp", ("AL", "BL"))
        self.server.refresh_visibility(self)

    def _setting(self, cmd: wire.Command, attr: str, allowed: tuple[str, ...]) -> None:
        value = cmd.args[1] if len(cmd.args) > 1 else ""
        if value not in allowed:
            self.error(ERR_INVALID_PARAMETER, cmd.trid)
            return
        if getattr(self.account, attr) == value:
            self.error(ERR_ALREADY_IN_MODE, cmd.trid)
            return
        setattr(self.account, attr, value)
        self.reply(cmd.name, cmd.trid, self.ser(bump=True), value)

    def _parse_lists(self, cmd: wire.Command, name: str) -> int | None:
        bit = LIST_BITS.get(name)
        if bit is None or bit in (RL, PL):
            self.error(ERR_INVALID_PARAMETER, cmd.trid)
            return None
        return bit

    def c_ADD(self, cmd: wire.Command) -> None:
        # MSNP8/9: ADD trid LIST email name [group]
        trid = cmd.trid
        if self.dialect >= 10:
            self.error(ERR_COMMAND_DISABLED, trid)
            return
        if len(cmd.args) < 3:
            self.error(ERR_SYNTAX, trid)
            return
        bit = self._parse_lists(cmd, cmd.args[1])
        if bit is None:
            return
        email = cmd.args[2]
        group = cmd.args[4] if len(cmd.args) > 4 else None
        if not EMAIL_RE.match(email):
            self.error(ERR_INVALID_PARAMETER, trid)
            return
        target = self.server.account(email)
        if target is None:
            self.error(ERR_INVALID_USER, trid)
            return
        gnum = None
        if group is not None:
            if not group.isdigit() or (int(group) != 0 and self.account.group_by_num(int(group)) is None):
                self.error(ERR_INVALID_GROUP, trid)
                return
            gnum = int(group)
        err = self.server.add_to_list(self.account, target, bit, gnum)
        if err:
            self.error(err, trid)
            return
        name = cmd.args[3] if len(cmd.args) > 3 else target.wire_name
        self.reply("ADD", trid, cmd.args[1], self.account.list_version, target.email, name, group)
        self.after_add(trid, target, bit, grouped=group is not None)

    def c_ADC(self, cmd: wire.Command) -> None:
        # MSNP10+: ADC trid FL N=email F=name | ADC trid AL N=email | ADC trid FL C=guid group
        trid = cmd.trid
        if self.dialect < 10:
            self.close("ADC before MSNP10")
            return
        if len(cmd.args) < 3:
            self.error(ERR_SYNTAX, trid)
            return
        lst = cmd.args[1]
        bit = self._parse_lists(cmd, lst)
        if bit is None:
            return
        arg = cmd.args[2]
        if arg.startswith("N="):
            email = arg[2:]
            if not EMAIL_RE.match(email):
                self.error(ERR_INVALID_USER2, trid)
                return
            target = self.server.account(email)
            if target is None:
                self.error(ERR_INVALID_USER2, trid)
                return
            err = self.server.add_to_list(self.account, target, bit, None)
            if err:
                self.error(err, trid)
                return
            if bit == FL:
                self.reply("ADC", trid, lst, f"N={target.email}", f"F={target.wire_name}", f"C={target.guid}")
            else:
                self.reply("ADC", trid, lst, f"N={target.email}")
            self.after_add(trid, target, bit, grouped=False)
            return
        if arg.startswith("C=") and bit == FL and len(cmd.args) > 3:
            target = self.server.account_by_guid(arg[2:])
            group = self.account.group_by_guid(cmd.args[3])
            if target is None:
                self.error(ERR_INVALID_USER2, trid)
                return
            if group is None:
                self.error(ERR_INVALID_GROUP, trid)
                return
            err = self.server.add_to_list(self.account, target, FL, group.num)
            if err:
                self.error(err, trid)
                return
            self.reply("ADC", trid, lst, arg, group.guid)
            return
        self.error(ERR_INVALID_PARAMETER, trid)

    def after_add(self, trid: str, target: Account, bit: int, grouped: bool) -> None:
        server = self.server
        me = self.account
        server.record("contact_add", owner=me.email, contact=target.email, list=bit)
        if bit == FL and not grouped:
            other = server.sessions.get(target.email.lower())
            if other is not None and other.account is not None and not other.closed:
                if other.dialect >= 10:
                    other.reply("ADC", 0, "RL", f"N={me.email}", f"F={me.wire_name}")
                else:
                    other.reply("ADD", 0, "RL", target.list_version, me.email, me.wire_name)
            if other is not None and self.status is not None and self.can_see(other):
                self.send_presence(other, trid)
        if bit in (AL, BL):
            server.refresh_visibility(self)

    def c_REM(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        if len(cmd.args) < 3:
            self.error(ERR_SYNTAX, trid)
            return
        lst = cmd.args[1]
        bit = self._parse_lists(cmd, lst)
        if bit is None:
            return
        who = cmd.args[2]
        group = cmd.args[3] if len(cmd.args) > 3 else None
        if bit == FL and self.dialect >= 10:
            target = self.server.account_by_guid(who)
        else:
            target = self.server.account(who)
        if target is None:
            self.error(ERR_INVALID_USER2 if self.dialect >= 10 else ERR_INVALID_USER, trid)
            return
        gnum = None
        if group is not None:
            g = (self.account.group_by_guid(group) if self.dialect >= 11 else
                 (self.account.group_by_num(int(group)) if group.isdigit() else None))
            if g is None and group != "0":
                self.error(ERR_INVALID_GROUP, trid)
                return
            gnum = g.num if g else 0
        err = self.server.remove_from_list(self.account, target, bit, gnum)
        if err:
            self.error(err, trid)
            return
        self.reply("REM", trid, lst, self.ser(), who, group)
        self.server.record("contact_rem", owner=self.account.email, contact=target.email, list=bit)
        if bit == FL and group is None:
            other = self.server.sessions.get(target.email.lower())
            if other is not None and other.account is not None and not other.closed:
                if other.dialect >= 10:
                    other.reply("REM", 0, "RL", f"N={self.account.email}")
                else:
                    other.reply("REM", 0, "RL", target.list_version, self.account.email)
        if bit in (AL, BL):
            self.server.refresh_visibility(self)

    def c_ADG(self, cmd: wire.Command) -> None:
        if len(cmd.args) < 2:
            self.error(ERR_SYNTAX, cmd.trid)
            return
        g = self.server.add_group(self.account, wire.url_decode_name(cmd.args[1]))
        if self.dialect >= 10:
            self.reply("ADG", cmd.trid, cmd.args[1], g.guid if self.dialect >= 11 else g.num)
        else:
            self.reply("ADG", cmd.trid, self.account.list_version, cmd.args[1], g.num, 0)

    def c_RMG(self, cmd: wire.Command) -> None:
        acc = self.account
        gid = cmd.args[1] if len(cmd.args) > 1 else ""
        g = acc.group_by_guid(gid) if self.dialect >= 11 else (acc.group_by_num(int(gid)) if gid.isdigit() else None)
        if g is None:
            self.error(ERR_INVALID_GROUP, cmd.trid)
            return
        acc.groups.remove(g)
        for e in acc.contacts.values():
            if g.num in e.groups:
                e.groups.remove(g.num)
        acc.bump()
        if self.dialect >= 10:
            self.reply("RMG", cmd.trid, gid)
        else:
            self.reply("RMG", cmd.trid, acc.list_version, gid)

    # -- presence and profile

    def c_CHG(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        status = cmd.args[1] if len(cmd.args) > 1 else ""
        if status not in STATUSES:
            self.error(ERR_INVALID_PARAMETER, trid)
            return
        caps = cmd.args[2] if len(cmd.args) > 2 else "0"
        if not caps.isdigit():
            self.error(ERR_INVALID_PARAMETER, trid)
            return
        msnobj_arg = cmd.args[3] if len(cmd.args) > 3 and self.dialect >= 9 else None
        first = self.status is None
        was_visible = self.visible()
        self.status, self.caps = status, caps
        self.msnobj = unquote(msnobj_arg) if msnobj_arg else None
        self.reply("CHG", trid, status, caps, msnobj_arg)
        self.server.record("presence", email=self.email, status=status)
        if first:
            for e in list(self.account.contacts.values()):
                other = self.server.sessions.get(e.email.lower())
                if other is not None and other is not self and self.can_see(other):
                    self.send_presence(other, trid)
            if self.dialect >= 11:
                self.reply("MSG", "Hotmail", "Hotmail", payload=wire.mime_message(
                    [("Content-Type", "text/x-msmsgsinitialemailnotification; charset=UTF-8")],
                    "Inbox-Unread: 0\r\nFolders-Unread: 0\r\nInbox-URL: /cgi-bin/HoTMaiL\r\n"
                    "Folders-URL: /cgi-bin/folders\r\nPost-URL: http://127.0.0.1/mail\r\n\r\n"))
            if self.server.challenge_on_login:
                self.send_challenge()
        self.server.broadcast_presence(self, was_visible)

    def c_UUX(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        if self.dialect < 10:
            self.close("UUX before MSNP10")
            return
        text = (cmd.payload or b"").decode("utf-8", errors="replace")
        if len(cmd.payload or b"") > 2048:
            self.error(ERR_INVALID_PARAMETER, trid)
            return
        if text and not text.lstrip().startswith("<"):
            self.error(ERR_INVALID_PARAMETER, trid)
            return
        psm = xml_inner(text, "PSM")
        media = xml_inner(text, "CurrentMedia")
        if psm is not None:
            self.account.psm = psm
        if media is not None:
            self.account.media = media
        self.reply("UUX", trid, 0)
        self.server.record("psm", email=self.email, psm=self.account.psm, media=self.account.media)
        if self.visible():
            for w in self.server.watchers(self):
                w.send_ubx(self.account)

    def set_name(self, encoded: str) -> int | None:
        if len(encoded.encode("utf-8")) > MAX_NAME_BYTES:
            return ERR_NAME_ILLEGAL
        self.account.name = wire.url_decode_name(encoded)
        self.server.record("name", email=self.email, name=self.account.name)
        if self.visible():
            for w in self.server.watchers(self):
                w.send_presence(self)
        return None

    def c_REA(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        if self.dialect >= 10:
            self.error(ERR_COMMAND_DISABLED, trid)
            return
        if len(cmd.args) < 3:
            self.error(ERR_SYNTAX, trid)
            return
        email, name = cmd.args[1], cmd.args[2]
        if email.lower() == self.email.lower():
            err = self.set_name(name)
            if err:
                self.error(err, trid)
                return
        elif self.server.account(email) is None:
            self.error(ERR_INVALID_USER, trid)
            return
        self.reply("REA", trid, self.ser(bump=True), email, name)

    def c_PRP(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        if len(cmd.args) < 2:
            self.error(ERR_SYNTAX, trid)
            return
        key = cmd.args[1]
        value = cmd.args[2] if len(cmd.args) > 2 else None
        if key == "MFN":
            if self.dialect < 10 or value is None:
                self.error(ERR_NOT_EXPECTED, trid)
                return
            err = self.set_name(value)
            if err:
                self.error(err, trid)
                return
        elif key in ("PHH", "PHW", "PHM", "MOB", "MBE"):
            if value is None:
                self.account.phones.pop(key, None)
            elif len(value) > 95:
                self.error(ERR_INVALID_PARAMETER, trid)
                return
            else:
                self.account.phones[key] = value
        else:
            self.error(ERR_NOT_EXPECTED, trid)
            return
        self.reply("PRP", trid, self.ser(bump=True), key, value)

    # -- keep-alive, challenges, switchboard, logout

    def c_PNG(self, cmd: wire.Command) -> None:
        self.reply("QNG", 60 if self.dialect >= 9 else None)

    def send_challenge(self) -> None:
        self.pending_challenge = str(secrets.randbelow(89999999999999999999) + 10000000000000000000)
        self.reply("CHL", 0, self.pending_challenge)
        self.server.record("challenge", email=self.email, challenge=self.pending_challenge)
        if self.challenge_task:
            self.challenge_task.cancel()
        self.challenge_task = asyncio.get_running_loop().create_task(self._challenge_deadline())

    async def _challenge_deadline(self) -> None:
        await asyncio.sleep(self.server.challenge_timeout)
        if self.pending_challenge and not self.closed:
            self.error(ERR_CHALLENGE_FAILED, 0)
            self.close("challenge not answered in time")

    def c_QRY(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        challenge = self.pending_challenge
        self.pending_challenge = None
        if self.challenge_task:
            self.challenge_task.cancel()
            self.challenge_task = None
        product = cmd.args[1] if len(cmd.args) > 2 else ""
        answer = (cmd.payload or b"").decode("ascii", errors="replace").strip().lower()
        expected = chl.answer(challenge, product, self.dialect) if challenge else None
        ok = expected is not None and answer == expected
        self.server.record("qry", email=self.email, product=product, ok=ok)
        if not ok:
            self.error(ERR_CHALLENGE_FAILED, trid)
            self.close(f"wrong challenge answer (product {product[:20]!r})")
            return
        self.reply("QRY", trid)

    def c_XFR(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        dest = cmd.args[1] if len(cmd.args) > 1 else ""
        if dest != "SB":
            self.error(ERR_INVALID_PARAMETER, trid)
            return
        if self.status is None or self.status == "HDN":
            self.error(ERR_NOT_ALLOWED_OFFLINE, trid)
            return
        cookie = self.server.new_sb_cookie(self)
        extra: list[object] = []
        if self.dialect >= 13:
            extra += ["U", "messenger.msn.com"]
        if self.dialect >= 14:
            extra.append(1)
        self.reply("XFR", trid, "SB", f"{HOST}:{self.server.sb_port}", "CKI", cookie, *extra)

    def c_OUT(self, cmd: wire.Command) -> None:
        self.close("client signed out (OUT)")

    def c_URL(self, cmd: wire.Command) -> None:
        self.reply("URL", cmd.trid, "/cgi-bin/HoTMaiL", "http://127.0.0.1/mail", 2)

    def on_close(self) -> None:
        if self.challenge_task:
            self.challenge_task.cancel()
        acc = self.account
        if acc is None:
            return
        was_visible = self.status is not None and self.status != "HDN"
        if self.server.sessions.get(acc.email.lower()) is self:
            del self.server.sessions[acc.email.lower()]
        self.server.record("logout", email=acc.email)
        if was_visible:
            for w in self.server.online_sessions():
                if w is self or w.account is None or w.status is None:
                    continue
                e = w.account.entry(acc.email)
                if e and e.lists & FL and not acc.blocks(w.account.email):
                    w.reply("FLN", acc.email, *((1,) if w.dialect >= 14 else ()))


class SbConn(Conn):
    """A switchboard connection."""

    kind = "sb"

    def __init__(self, server, reader, writer):
        super().__init__(server, reader, writer)
        self.account: Account | None = None
        self.dialect = 0
        self.caps = "0"
        self.wire_name = ""
        self.session: "SbSession | None" = None
        self.max_payload = wire.SB_MSG_LIMIT * 8
        self.auth_deadline = asyncio.get_running_loop().call_later(
            server.sb_auth_timeout, lambda: self.close("no USR/ANS in time") if self.session is None else None)

    @property
    def email(self) -> str:
        return self.account.email if self.account else "?"

    def handle(self, cmd: wire.Command) -> None:
        name = cmd.name
        if self.session is None and name not in ("USR", "ANS"):
            self.close(f"{name[:20]!r} before USR/ANS")
            return
        handler = getattr(self, "c_" + name, None) if name.isalpha() and name.isupper() else None
        if handler is None:
            if cmd.trid and cmd.trid.isdigit():
                self.error(ERR_SYNTAX, cmd.trid)
            else:
                self.close(f"unknown command {name[:20]!r}")
            return
        handler(cmd)

    def _auth(self, trid: str, email: str, entry) -> bool:
        if entry is None or entry["email"].lower() != email.lower() or entry["expires"] < time.monotonic():
            self.error(ERR_AUTH_FAILED, trid)
            self.close(f"bad switchboard cookie for {email[:60]!r}")
            return False
        ns = self.server.sessions.get(email.lower())
        self.account = self.server.account(email)
        self.dialect = entry["dialect"]
        self.caps = ns.caps if ns else "0"
        self.wire_name = self.account.wire_name
        self.auth_deadline.cancel()
        return True

    def c_USR(self, cmd: wire.Command) -> None:
        if self.session is not None or len(cmd.args) != 3:
            self.close("bad USR on the switchboard")
            return
        trid, email, cookie = cmd.args
        if not self._auth(trid, email, self.server.sb_cookies.pop(cookie, None)):
            return
        self.session = self.server.new_sb_session(self)
        self.reply("USR", trid, "OK", self.account.email, self.wire_name)

    def c_ANS(self, cmd: wire.Command) -> None:
        if self.session is not None or len(cmd.args) != 4:
            self.close("bad ANS on the switchboard")
            return
        trid, email, cookie, sid = cmd.args
        entry = self.server.rng_cookies.pop(cookie, None)
        if entry is not None and entry["session"] != sid:
            entry = None
        if not self._auth(trid, email, entry):
            return
        session = self.server.sb_sessions.get(sid)
        if session is None or not session.members:
            self.error(ERR_AUTH_FAILED, trid)
            self.close("the invitation's switchboard session is gone")
            return
        others = [m for m in session.members if m.account.email.lower() != email.lower()]
        for i, m in enumerate(others, 1):
            self.reply("IRO", trid, i, len(others), m.account.email, m.wire_name,
                       m.caps if self.dialect >= 12 else None)
        session.join(self)
        self.reply("ANS", trid, "OK")

    def c_CAL(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        email = cmd.args[1] if len(cmd.args) > 1 else ""
        if not EMAIL_RE.match(email):
            self.error(ERR_INVALID_USER2, trid)
            return
        session = self.session
        callee = self.server.sessions.get(email.lower())
        if callee is None or callee.account is None or not callee.visible() \
                or callee.account.blocks(self.account.email):
            self.server.record("sb_cal_offline", session=session.id, caller=self.email, callee=email)
            self.error(ERR_NOT_ONLINE, trid)
            return
        if any(m.account.email.lower() == email.lower() for m in session.members):
            self.error(ERR_ALREADY_ON_LIST, trid)
            return
        cookie = self.server.new_rng_cookie(callee, session)
        extra: list[object] = []
        if callee.dialect >= 13:
            extra += ["U", "messenger.hotmail.com"]
        if callee.dialect >= 14:
            extra.append(1)
        self.reply("CAL", trid, "RINGING", session.id)
        callee.reply("RNG", session.id, f"{HOST}:{self.server.sb_port}", "CKI", cookie,
                     self.account.email, self.wire_name, *extra)
        self.server.record("sb_ring", session=session.id, caller=self.email, callee=callee.email)

    def c_MSG(self, cmd: wire.Command) -> None:
        trid = cmd.trid
        if len(cmd.args) != 3 or cmd.args[1] not in ("U", "N", "A", "D"):
            self.close(f"bad MSG acknowledgement type {cmd.args[1:2]!r}")
            return
        ack = cmd.args[1]
        payload = cmd.payload or b""
        if len(payload) > wire.SB_MSG_LIMIT:
            self.server.record("sb_msg_too_long", session=self.session.id, sender=self.email, length=len(payload))
            self.close(f"MSG of {len(payload)} bytes exceeds {wire.SB_MSG_LIMIT}")
            return
        delivered = self.session.relay(self, payload, ack)
        if ack == "U":
            return
        if not delivered:
            self.reply("NAK", trid)
        elif ack != "N":
            self.reply("ACK", trid)

    def c_OUT(self, cmd: wire.Command) -> None:
        self.close("left the switchboard (OUT)")

    def on_close(self) -> None:
        self.auth_deadline.cancel()
        if self.session is not None:
            self.session.leave(self)


class SbSession:
    def __init__(self, server: "Server", sid: str):
        self.server = server
        self.id = sid
        self.members: list[SbConn] = []
        self.last_activity = time.monotonic()
        self.closing = False

    def join(self, conn: SbConn) -> None:
        for m in self.members:
            m.reply("JOI", conn.account.email, conn.wire_name, conn.caps if m.dialect >= 12 else None)
        self.members.append(conn)
        conn.session = self
        self.last_activity = time.monotonic()
        self.server.record("sb_join", session=self.id, email=conn.account.email,
                           members=[m.account.email for m in self.members])

    def relay(self, sender: SbConn, payload: bytes, ack: str) -> bool:
        self.last_activity = time.monotonic()
        others = [m for m in self.members if m is not sender and not m.closed]
        for m in others:
            m.reply("MSG", sender.account.email, sender.wire_name, payload=payload)
        headers, body = wire.parse_mime(payload)
        self.server.record("sb_msg", session=self.id, sender=sender.account.email,
                           to=[m.account.email for m in others], ack=ack, length=len(payload),
                           content_type=headers.get("Content-Type", ""), headers=headers,
                           body=body.decode("utf-8", errors="replace"),
                           payload_b64=base64.b64encode(payload).decode("ascii"))
        return bool(others)

    def leave(self, conn: SbConn, idle: bool = False) -> None:
        if conn not in self.members:
            return
        self.members.remove(conn)
        self.server.record("sb_leave", session=self.id, email=conn.account.email, idle=idle)
        if not self.closing:
            for m in self.members:
                m.reply("BYE", conn.account.email, 1 if idle else None)
        if not self.members:
            self.server.sb_sessions.pop(self.id, None)

    def close_idle(self) -> None:
        """Idle timeout: each member gets BYE <other> 1 for every other member, then
        every connection closes."""
        self.closing = True
        self.server.record("sb_idle_close", session=self.id, members=[m.account.email for m in self.members])
        members = list(self.members)
        for m in members:
            for other in members:
                if other is not m:
                    m.reply("BYE", other.account.email, 1)
        for m in members:
            m.close("switchboard session idle")
        self.server.sb_sessions.pop(self.id, None)


# -------------------------------------------------------------------------- HTTP login

class LoginHttp:
    """Passport 1.4 nexus (/rdr/pprdr.asp) and login (/login2.srf) over plain HTTP, or over
    HTTPS only when the server has a certificate (--login-cert)."""

    def __init__(self, server: "Server"):
        self.server = server
        self.tls = server.login_tls is not None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.tls and not await self.handshake(writer):
            return
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError,
                ConnectionError):
            writer.close()
            return
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                k, sep, v = line.partition(":")
                if sep:
                    headers[k.strip().lower()] = v.strip()
            status, extra, body = self.route(method, target, headers)
        except Exception as e:  # noqa: BLE001
            log.info("login http: bad request: %r", e)
            status, extra, body = "400 Bad Request", [], b"bad request\n"
        resp = [f"HTTP/1.1 {status}", "Content-Type: text/html", f"Content-Length: {len(body)}",
                "Connection: close", *extra, "", ""]
        writer.write("\r\n".join(resp).encode("latin-1") + body)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def handshake(self, writer: asyncio.StreamWriter) -> bool:
        """TLS on the accepted connection (here rather than in start_server, so that a
        refused handshake is logged and recorded: http_tls_failed with the reason)."""
        try:
            await writer.start_tls(self.server.login_tls, ssl_handshake_timeout=10)
            return True
        except (ssl.SSLError, ConnectionError, asyncio.TimeoutError, OSError) as e:
            reason = getattr(e, "reason", None) or type(e).__name__
            log.info("login https: handshake failed: %s", e)
            self.server.record("http_tls_failed", reason=str(reason))
            writer.close()
            return False

    def route(self, method: str, target: str, headers: dict[str, str]):
        path = target.split("?", 1)[0]
        port = self.server.login_port
        if path == "/rdr/pprdr.asp":
            urls = (f"DARealm=Passport.Net,DALogin={HOST}:{port}/login2.srf,DAReg={HOST}:{port}/reg,"
                    f"Properties={HOST}:{port}/props,Privacy={HOST}:{port}/privacy,"
                    f"GeneralRedir={HOST}:{port}/redir,Help={HOST}:{port}/help,ConfigVersion=11")
            return "200 OK", [f"PassportURLs: {urls}"], b""
        if path == "/login2.srf":
            auth = headers.get("authorization", "")
            fields = parse_passport_fields(auth)
            email = unquote(fields.get("sign-in", ""))
            password = unquote(fields.get("pwd", ""))
            acc = self.server.account(email)
            if not auth.startswith("Passport1.4 ") or acc is None or acc.password != password:
                self.server.record("http_login_failed", email=email, tls=self.tls)
                return ("401 Unauthorized",
                        ["WWW-Authenticate: Passport1.4 da-status=failed,srealm=Passport.NET,ts=-3,prompt,"
                         "cburl=http://127.0.0.1/cb.gif,cbtxt=Sign%20in%20failed"],
                        b"<html>401</html>\n")
            ticket = self.server.new_ticket(acc)
            self.server.record("http_login", email=acc.email, tls=self.tls)
            return ("200 OK",
                    ["Authentication-Info: Passport1.4 da-status=success,tname=MSPAuth,tname=MSPProf,"
                     f"tname=MSPSec,from-PP='{ticket}',ru=http://messenger.msn.com"],
                    b"<html>OK</html>\n")
        return "404 Not Found", [], b"not found\n"


def parse_passport_fields(header: str) -> dict[str, str]:
    """The comma-separated key=value fields after 'Passport1.4 ' (values stay encoded)."""
    _, _, rest = header.partition(" ")
    out: dict[str, str] = {}
    for part in rest.split(","):
        k, sep, v = part.partition("=")
        if sep:
            out.setdefault(k.strip(), v.strip())
    return out


# --------------------------------------------------------------------------- server

class Server:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.versions = [v.strip().upper() for v in args.versions.split(",") if v.strip()]
        for v in self.versions:
            if not re.fullmatch(r"MSNP(8|9|10|11|12)", v):
                raise SystemExit(f"unsupported protocol version {v!r} (MSNP8 to MSNP12)")
        self.versions.sort(key=lambda v: -int(v[4:]))
        self.dispatch = args.dispatch
        self.msnp8_profile_first = args.msnp8_login_order == "transcript"
        self.sb_idle_timeout = args.sb_idle_timeout
        self.sb_auth_timeout = 60.0
        self.challenge_on_login = args.challenge_on_login
        self.challenge_interval = args.challenge_interval
        self.challenge_timeout = args.challenge_timeout
        self.login_tls = login_tls_context(args.login_cert, args.login_key)
        self.accounts: dict[str, Account] = {}
        self.sessions: dict[str, NsConn] = {}
        self.conns: set[Conn] = set()
        self.sb_sessions: dict[str, SbSession] = {}
        self.sb_cookies: dict[str, dict] = {}
        self.rng_cookies: dict[str, dict] = {}
        self.tickets: dict[str, dict] = {}
        self.routed: deque[dict] = deque(maxlen=ROUTED_LOG_LIMIT)
        self.seq = 0
        self.ns_port = self.ns2_port = self.sb_port = self.login_port = self.control_port = 0
        self.ns_servers: list[asyncio.base_events.Server] = []
        self.other_servers: list[asyncio.base_events.Server] = []
        self.stopping = asyncio.Event()
        self.tasks: set[asyncio.Task] = set()
        for spec in args.account or []:
            email, password, *name = spec.split(":", 2)
            self.add_account(email, password, name[0] if name else email.split("@")[0])

    # -- bookkeeping

    def record(self, kind: str, **fields) -> None:
        self.seq += 1
        entry = {"seq": self.seq, "t": round(time.time(), 3), "kind": kind, **fields}
        self.routed.append(entry)

    def account(self, email: str | None) -> Account | None:
        return self.accounts.get(email.lower()) if email else None

    def account_by_guid(self, guid: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.guid == guid), None)

    def add_account(self, email: str, password: str, name: str) -> Account:
        if not EMAIL_RE.match(email):
            raise ValueError(f"invalid email {email!r}")
        acc = self.accounts.get(email.lower())
        if acc is None:
            acc = Account(email=email, password=password, name=name)
            self.accounts[email.lower()] = acc
        else:
            acc.password, acc.name = password, name
        return acc

    def add_group(self, acc: Account, name: str) -> Group:
        num = max((g.num for g in acc.groups), default=0) + 1
        g = Group(num=num, guid=str(uuid.uuid4()), name=name)
        acc.groups.append(g)
        acc.bump()
        return g

    def add_to_list(self, owner: Account, target: Account, bit: int, group: int | None) -> int | None:
        e = owner.entry(target.email)
        if e is not None and e.lists & bit:
            if bit == FL and group is not None and group not in e.groups and group != 0:
                e.groups.append(group)
                owner.bump()
                return None
            return ERR_ALREADY_ON_LIST
        if bit == AL and e is not None and e.lists & BL or bit == BL and e is not None and e.lists & AL:
            return 219  # principal is on the opposite list
        if e is None:
            e = owner.contacts[target.email.lower()] = Entry(email=target.email)
        e.lists |= bit
        if bit == FL and group:
            e.groups.append(group)
        owner.bump()
        if bit == FL:
            rev = target.entry(owner.email)
            if rev is None:
                rev = target.contacts[owner.email.lower()] = Entry(email=owner.email)
            rev.lists |= RL
            target.bump()
        return None

    def remove_from_list(self, owner: Account, target: Account, bit: int, group: int | None) -> int | None:
        e = owner.entry(target.email)
        if e is None or not e.lists & bit:
            return ERR_NOT_ON_LIST
        if bit == FL and group is not None:
            if group not in e.groups:
                return 225  # principal not in group
            e.groups.remove(group)
            owner.bump()
            return None
        e.lists &= ~bit
        if bit == FL:
            e.groups.clear()
            rev = target.entry(owner.email)
            if rev is not None:
                rev.lists &= ~RL
                if not rev.lists:
                    del target.contacts[owner.email.lower()]
                target.bump()
        if not e.lists:
            del owner.contacts[target.email.lower()]
        owner.bump()
        return None

    def online_sessions(self) -> list[NsConn]:
        return [s for s in self.sessions.values() if not s.closed]

    def watchers(self, target: NsConn) -> list[NsConn]:
        return [w for w in self.online_sessions() if w is not target and w.can_see(target)]

    def broadcast_presence(self, target: NsConn, was_visible: bool) -> None:
        if target.visible():
            for w in self.watchers(target):
                w.send_presence(target)
        elif was_visible:
            for w in self.online_sessions():
                if w is target or w.account is None or w.status is None:
                    continue
                e = w.account.entry(target.email)
                if e and e.lists & FL:
                    w.reply("FLN", target.email, *((1,) if w.dialect >= 14 else ()))

    def refresh_visibility(self, target: NsConn) -> None:
        """After a change of target's AL/BL/BLP: FLN to those who lost sight of target,
        NLN to those who gained it."""
        if not target.visible():
            return
        seen = getattr(target, "_seen_by", None)
        now = {w.email for w in self.watchers(target)}
        if seen is None:
            seen = {w.email for w in self.online_sessions()
                    if w is not target and w.account and w.status is not None
                    and (w.account.entry(target.email) or Entry("")).lists & FL}
        for email in seen - now:
            w = self.sessions.get(email.lower())
            if w is not None and w.status is not None:
                w.reply("FLN", target.email)
        for email in now - seen:
            w = self.sessions.get(email.lower())
            if w is not None:
                w.send_presence(target)
        target._seen_by = now

    def tweener_challenge(self) -> str:
        return (f"lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Emsn%2Ecom,ct={int(time.time())},"
                f"kpp=1,kv=5,ver=2.1.0173.1,tpf={secrets.token_hex(16)}")

    def new_ticket(self, acc: Account) -> str:
        t = secrets.token_urlsafe(24).replace("-", "A").replace("_", "B")
        p = secrets.token_urlsafe(24).replace("-", "C").replace("_", "D")
        self.tickets[t] = {"email": acc.email, "expires": time.monotonic() + 300}
        return f"t={t}&p={p}"

    def take_ticket(self, value: str, email: str) -> bool:
        """Checks (and consumes) a Passport ticket: the whole from-PP value or its t= part."""
        t = value
        if t.startswith("t="):
            t = t[2:].split("&", 1)[0]
        entry = self.tickets.pop(t, None)
        return bool(entry and entry["email"].lower() == email.lower() and entry["expires"] > time.monotonic())

    def new_sb_cookie(self, ns: NsConn) -> str:
        cookie = f"{secrets.randbelow(10**9)}.{secrets.randbelow(10**10)}.{secrets.randbelow(10**6)}"
        self.sb_cookies[cookie] = {"email": ns.email, "dialect": ns.dialect, "expires": time.monotonic() + 120}
        return cookie

    def new_rng_cookie(self, callee: NsConn, session: SbSession) -> str:
        cookie = f"{secrets.randbelow(10**9)}.{secrets.randbelow(10**10)}.{secrets.randbelow(10**6)}"
        self.rng_cookies[cookie] = {"email": callee.email, "dialect": callee.dialect, "session": session.id,
                                    "expires": time.monotonic() + 120}
        return cookie

    def new_sb_session(self, conn: SbConn) -> SbSession:
        sid = str(secrets.randbelow(10**8) + 10**7)
        while sid in self.sb_sessions:
            sid = str(secrets.randbelow(10**8) + 10**7)
        s = SbSession(self, sid)
        self.sb_sessions[sid] = s
        s.members.append(conn)
        self.record("sb_open", session=sid, email=conn.account.email)
        return s

    # -- listeners

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _serve_conn(self, conn: Conn) -> None:
        await conn.run()

    def _ns_handler(self, dispatch: bool):
        async def handler(reader, writer):
            await self._serve_conn(NsConn(self, reader, writer, dispatch=dispatch))
        return handler

    async def _sb_handler(self, reader, writer):
        await self._serve_conn(SbConn(self, reader, writer))

    async def start_ns(self) -> None:
        limit = wire.MAX_LINE
        if self.dispatch:
            s1 = await asyncio.start_server(self._ns_handler(True), HOST, self.ns_port or self.args.port, limit=limit)
            s2 = await asyncio.start_server(self._ns_handler(False), HOST, self.ns2_port or self.args.ns2_port,
                                            limit=limit)
            self.ns_port = s1.sockets[0].getsockname()[1]
            self.ns2_port = s2.sockets[0].getsockname()[1]
            self.ns_servers = [s1, s2]
        else:
            s1 = await asyncio.start_server(self._ns_handler(False), HOST, self.ns_port or self.args.port,
                                            limit=limit)
            self.ns_port = s1.sockets[0].getsockname()[1]
            self.ns_servers = [s1]

    async def start(self) -> None:
        await self.start_ns()
        sb = await asyncio.start_server(self._sb_handler, HOST, self.args.sb_port, limit=wire.MAX_LINE)
        self.sb_port = sb.sockets[0].getsockname()[1]
        http = await asyncio.start_server(LoginHttp(self).handle, HOST, self.args.login_port, limit=16384)
        self.login_port = http.sockets[0].getsockname()[1]
        ctl = await asyncio.start_server(self._control_handler, HOST, self.args.control_port, limit=1 << 20)
        self.control_port = ctl.sockets[0].getsockname()[1]
        self.other_servers = [sb, http, ctl]
        self.spawn(self._housekeeping())

    def ports(self) -> dict:
        return {"ready": True, "ns_port": self.ns_port, "ns2_port": self.ns2_port or None,
                "sb_port": self.sb_port, "login_port": self.login_port, "control_port": self.control_port,
                "login_tls": self.login_tls is not None, "pid": os.getpid()}

    async def _housekeeping(self) -> None:
        last_chl = time.monotonic()
        while True:
            await asyncio.sleep(0.2)
            now = time.monotonic()
            for s in list(self.sb_sessions.values()):
                if now - s.last_activity > self.sb_idle_timeout:
                    s.close_idle()
            for table in (self.sb_cookies, self.rng_cookies, self.tickets):
                for k in [k for k, v in table.items() if v["expires"] < now]:
                    del table[k]
            if self.challenge_interval > 0 and now - last_chl >= self.challenge_interval:
                last_chl = now
                for s in self.online_sessions():
                    if s.status is not None and s.pending_challenge is None:
                        s.send_challenge()

    async def restart_ns(self, drop_sb: bool = True) -> None:
        """Simulates a notification server restart: every NS (and by default SB)
        connection is dropped without a word, the listeners close and listen again on
        the same ports."""
        for s in self.ns_servers:
            s.close()
        victims = [c for c in list(self.conns) if isinstance(c, NsConn) or (drop_sb and isinstance(c, SbConn))]
        for c in victims:
            if isinstance(c, NsConn):
                c.account = None  # no FLN storm: everything goes down at once
            c.close("notification server restart")
        self.sessions.clear()
        if drop_sb:
            self.sb_sessions.clear()
        for s in self.ns_servers:
            await s.wait_closed()
        self.record("ns_restart")
        await self.start_ns()

    async def shutdown(self) -> None:
        for c in list(self.conns):
            if isinstance(c, NsConn) and c.account is not None:
                c.reply("OUT", "SSD")
        await asyncio.sleep(0.05)
        for c in list(self.conns):
            if isinstance(c, NsConn):
                c.account = None
            c.close("server shutting down")
        for s in self.ns_servers + self.other_servers:
            s.close()
        self.stopping.set()

    # -- control channel

    async def _control_handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    break
                if not line:
                    break
                req = None
                try:
                    req = json.loads(line)
                    if not isinstance(req, dict):
                        raise ValueError("a JSON object is expected")
                    resp = await self.control(req)
                except Exception as e:  # noqa: BLE001
                    resp = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                writer.write((json.dumps(resp) + "\n").encode("utf-8"))
                await writer.drain()
                if isinstance(req, dict) and req.get("cmd") == "shutdown":
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def control(self, req: dict) -> dict:
        cmd = req.get("cmd")
        if cmd == "ping":
            return {"ok": True}
        if cmd == "ports":
            return {"ok": True, **self.ports()}
        if cmd == "add_account":
            acc = self.add_account(req["email"], req.get("password", "123456"),
                                   req.get("name") or req["email"].split("@")[0])
            return {"ok": True, "email": acc.email, "guid": acc.guid}
        if cmd == "add_group":
            acc = self._need(req["owner"])
            g = self.add_group(acc, req["name"])
            return {"ok": True, "num": g.num, "guid": g.guid}
        if cmd == "add_contact":
            owner, target = self._need(req["owner"]), self._need(req["contact"])
            group = None
            if req.get("group"):
                g = next((g for g in owner.groups if g.name == req["group"]), None) or self.add_group(owner, req["group"])
                group = g.num
            for name in req.get("lists", ["FL", "AL"]):
                bit = LIST_BITS[name]
                err = self.add_to_list(owner, target, bit, group if bit == FL else None)
                if err and err != ERR_ALREADY_ON_LIST:
                    return {"ok": False, "error": f"MSNP error {err}"}
            return {"ok": True}
        if cmd == "set_password":
            self._need(req["email"]).password = req["password"]
            return {"ok": True}
        if cmd == "account":
            acc = self._need(req["email"])
            return {"ok": True, "email": acc.email, "name": acc.name, "guid": acc.guid, "psm": acc.psm,
                    "groups": [{"num": g.num, "guid": g.guid, "name": g.name} for g in acc.groups],
                    "contacts": [{"email": e.email, "lists": e.lists, "groups": e.groups}
                                 for e in acc.contacts.values()]}
        if cmd == "kick":
            s = self.sessions.get(req["email"].lower())
            if s is None:
                return {"ok": False, "error": "no such session"}
            self.record("out_oth", email=s.email, peer=s.peer)
            s.reply("OUT", "OTH")
            s.close("kicked by the control channel (OUT OTH)")
            return {"ok": True}
        if cmd == "challenge":
            s = self.sessions.get(req["email"].lower())
            if s is None:
                return {"ok": False, "error": "no such session"}
            s.send_challenge()
            return {"ok": True, "challenge": s.pending_challenge}
        if cmd == "restart_ns":
            await self.restart_ns(drop_sb=req.get("drop_sb", True))
            return {"ok": True, **self.ports()}
        if cmd == "set":
            for key in ("sb_idle_timeout", "challenge_interval", "challenge_timeout"):
                if key in req:
                    setattr(self, key, float(req[key]))
            if "challenge_on_login" in req:
                self.challenge_on_login = bool(req["challenge_on_login"])
            if "msnp8_login_order" in req:
                self.msnp8_profile_first = req["msnp8_login_order"] == "transcript"
            return {"ok": True}
        if cmd == "sessions":
            return {"ok": True,
                    "ns": [{"email": s.email, "dialect": s.dialect, "status": s.status, "name": s.account.name,
                            "caps": s.caps, "psm": s.account.psm, "peer": s.peer}
                           for s in self.online_sessions()],
                    "sb": [{"id": sb.id, "members": [m.email for m in sb.members],
                            "idle": round(time.monotonic() - sb.last_activity, 3)}
                           for sb in self.sb_sessions.values()]}
        if cmd == "routed":
            since = int(req.get("since", 0))
            kinds = req.get("kinds")
            out = [e for e in self.routed if e["seq"] > since and (not kinds or e["kind"] in kinds)]
            return {"ok": True, "events": out, "last": self.seq}
        if cmd == "clear_routed":
            self.routed.clear()
            return {"ok": True, "last": self.seq}
        if cmd == "shutdown":
            asyncio.get_running_loop().call_soon(lambda: self.spawn(self.shutdown()))
            return {"ok": True}
        return {"ok": False, "error": f"unknown command {cmd!r}"}

    def _need(self, email: str) -> Account:
        acc = self.account(email)
        if acc is None:
            raise KeyError(f"no account {email!r}")
        return acc


def login_tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """The login endpoint's TLS context (TLS 1.2+), or None for plain HTTP."""
    if not cert:
        if key:
            raise SystemExit("--login-key needs --login-cert")
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key or None)
    except (OSError, ssl.SSLError) as e:
        raise SystemExit(f"--login-cert {cert}{' --login-key ' + key if key else ''}: {e}")
    return ctx


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python3 -m tests.peers.msn.server", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="notification (or dispatch) server port (0: any)")
    ap.add_argument("--ns2-port", type=int, default=0, help="with --dispatch: the real NS port (0: any)")
    ap.add_argument("--sb-port", type=int, default=0)
    ap.add_argument("--login-port", type=int, default=0, help="Passport nexus/login HTTP port")
    ap.add_argument("--login-cert", help="PEM certificate (chain) for the login port: HTTPS instead of HTTP")
    ap.add_argument("--login-key", help="PEM private key of --login-cert (default: in the --login-cert file)")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--versions", default="MSNP12,MSNP11,MSNP10,MSNP9,MSNP8",
                    help="protocol versions offered, comma-separated (MSNP8..MSNP12)")
    ap.add_argument("--dispatch", action="store_true",
                    help="--port is a dispatch server answering USR TWN I with XFR to a second NS")
    ap.add_argument("--msnp8-login-order", choices=("transcript", "documented"), default="transcript",
                    help="MSNP8/9: profile MSG before USR OK (transcript) or after it (documented)")
    ap.add_argument("--sb-idle-timeout", type=float, default=60.0)
    ap.add_argument("--challenge-on-login", action="store_true", help="send CHL after the first CHG")
    ap.add_argument("--challenge-interval", type=float, default=0.0, help="send CHL every N s (0: never)")
    ap.add_argument("--challenge-timeout", type=float, default=50.0)
    ap.add_argument("--account", action="append", help="email:password[:Friendly Name] (repeatable)")
    ap.add_argument("--ready-file", help="write the ports JSON here once listening")
    ap.add_argument("--log-level", default="INFO")
    return ap.parse_args(argv)


async def amain(args: argparse.Namespace) -> int:
    server = Server(args)
    await server.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: server.spawn(server.shutdown()))
    info = json.dumps(server.ports())
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(info + "\n")
        os.replace(tmp, args.ready_file)
    print(info, flush=True)
    log.info("listening: %s", info)
    await server.stopping.wait()
    await asyncio.sleep(0.05)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())
