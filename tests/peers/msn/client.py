"""A small asyncio MSNP client that tests use as "the MSN contact".

It speaks only the wire: Passport 1.4 login over HTTP, or HTTPS with `login_ssl` (nexus,
then login2.srf), the notification server (VER/CVR/USR TWN, SYN, CHG, UUX, ADD/ADC, REM,
REA/PRP, PNG, CHL/QRY, XFR SB) and the switchboard (USR/CAL or ANS, MSG with
acknowledgements, typing, nudges, BYE/OUT). MSNP8 to MSNP12.

    c = MsnClient("t1e@example.com", "123456", ns_port=..., login_port=..., version="MSNP12")
    await c.login(); await c.sync(); await c.set_status("NLN")
    sb = await c.open_switchboard("t2e@example.com")
    await sb.send_text("hello")            # returns the ACK
    msg = await sb.next_message()          # Message(sender, name, headers, body)
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote

from . import challenge as chl
from . import wire

DEFAULT_TIMEOUT = 10.0
INBOX_LIMIT = 10000


class MsnError(Exception):
    """The server answered a transaction with a numeric error."""

    def __init__(self, code: int, cmd: wire.Command):
        super().__init__(f"MSNP error {code} ({cmd.line()})")
        self.code = code
        self.cmd = cmd


class ConnectionClosed(Exception):
    pass


class LoginFailed(Exception):
    pass


Matcher = str | Callable[[wire.Command], bool]


class Link:
    """One TCP connection: a reader task files every command in an inbox; `expect`
    takes the first one that matches (commands may arrive in any order)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, name: str,
                 hook: Callable[[wire.Command], bool] | None = None):
        self.reader, self.writer, self.name = reader, writer, name
        self.hook = hook
        self.items: list[wire.Command] = []
        self.changed = asyncio.Event()
        self.eof = False
        self.error: Exception | None = None
        self.trid = 0
        self.sent: list[bytes] = []
        self.task = asyncio.get_running_loop().create_task(self._run())

    @classmethod
    async def open(cls, host: str, port: int, name: str, hook=None, timeout: float = DEFAULT_TIMEOUT) -> "Link":
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=wire.MAX_LINE),
                                                timeout)
        return cls(reader, writer, name, hook)

    async def _run(self) -> None:
        try:
            while True:
                cmd = await wire.read_command(self.reader, wire.SERVER_PAYLOAD_COMMANDS)
                if cmd is None:
                    break
                if self.hook is not None and self.hook(cmd):
                    continue
                self.items.append(cmd)
                del self.items[:-INBOX_LIMIT]
                self.changed.set()
        except (wire.ProtocolError, ConnectionError, OSError) as e:
            self.error = e
        finally:
            self.eof = True
            self.changed.set()
            self.close()

    def next_trid(self) -> int:
        self.trid += 1
        return self.trid

    def send_raw(self, data: bytes) -> None:
        self.sent.append(data)
        self.writer.write(data)

    def send(self, name: str, *args: object, payload: bytes | None = None) -> None:
        self.send_raw(wire.encode(name, *args, payload=payload))

    async def expect(self, match: Matcher, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        pred = (lambda c: c.name == match) if isinstance(match, str) else match
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, c in enumerate(self.items):
                if pred(c):
                    del self.items[i]
                    return c
            if self.eof:
                raise ConnectionClosed(f"{self.name}: connection closed ({self.error or 'EOF'}) "
                                       f"while waiting; inbox: {[str(c) for c in self.items][-5:]}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError(f"{self.name}: nothing matched in {timeout} s; "
                                           f"inbox: {[str(c) for c in self.items][-5:]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def call(self, name: str, *args: object, payload: bytes | None = None,
                   timeout: float = DEFAULT_TIMEOUT, reply: str | None = None) -> wire.Command:
        """Sends `name trid args`, returns the reply with that trid (raises MsnError
        for a numeric error)."""
        trid = str(self.next_trid())
        self.send(name, trid, *args, payload=payload)
        want = reply or name
        cmd = await self.expect(lambda c: c.trid == trid and (c.name == want or wire.is_error(c.name)), timeout)
        if wire.is_error(cmd.name):
            raise MsnError(int(cmd.name), cmd)
        return cmd

    def pending(self, name: str | None = None) -> list[wire.Command]:
        return [c for c in self.items if name is None or c.name == name]

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        await asyncio.wait_for(asyncio.shield(self.task), timeout)

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001
            pass


@dataclass
class Message:
    sender: str
    name: str
    headers: dict[str, str]
    body: bytes
    payload: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def text_payload(text: str, font: str = "Arial") -> bytes:
    return wire.mime_message([("Content-Type", "text/plain; charset=UTF-8"),
                              ("X-MMS-IM-Format", f"FN={font}; EF=; CO=0; CS=0; PF=22")], text)


def typing_payload(email: str) -> bytes:
    return wire.mime_message([("Content-Type", "text/x-msmsgscontrol"), ("TypingUser", email)], "\r\n")


def nudge_payload() -> bytes:
    return wire.mime_message([("Content-Type", "text/x-msnmsgr-datacast")], "ID: 1\r\n\r\n")


async def http_get(host: str, port: int, path: str, headers: dict[str, str],
                   timeout: float = DEFAULT_TIMEOUT,
                   tls: ssl.SSLContext | None = None) -> tuple[int, dict[str, str]]:
    """One GET; with `tls`, over HTTPS (the certificate checked against `host`)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=tls), timeout)
    try:
        req = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
               *[f"{k}: {v}" for k, v in headers.items()], "", ""]
        writer.write("\r\n".join(req).encode("latin-1"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    finally:
        writer.close()
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    out = {}
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if sep:
            out[k.strip().lower()] = v.strip()
    return status, out


class MsnClient:
    def __init__(self, email: str, password: str, *, ns_port: int, login_port: int,
                 host: str = "127.0.0.1", version: str = "MSNP12", versions: list[str] | None = None,
                 client_version: str = "7.5.0324", auto_challenge: bool = True,
                 login_ssl: ssl.SSLContext | None = None):
        self.email, self.password = email, password
        self.login_ssl = login_ssl  # the Passport login over HTTPS with this context
        self.host, self.ns_port, self.login_port = host, ns_port, login_port
        self.versions = versions or [version]
        self.client_version = client_version
        self.auto_challenge = auto_challenge
        self.dialect = 0
        self.ns: Link | None = None
        self.name: str | None = None
        self.profile: wire.Command | None = None
        self.contacts: dict[str, dict] = {}
        self.groups: list[dict] = []
        self.challenges_answered = 0
        self.redirected_to: tuple[str, int] | None = None
        self.switchboards: list[Switchboard] = []

    # -- notification server

    def _ns_hook(self, cmd: wire.Command) -> bool:
        if cmd.name == "CHL" and self.auto_challenge and len(cmd.args) >= 2:
            product = chl.product_for(self.dialect)
            answer = chl.answer(cmd.args[1], product, self.dialect)
            self.ns.send("QRY", self.ns.next_trid(), product, payload=answer.encode("ascii"))
            self.challenges_answered += 1
            return False  # still filed, so tests can see it
        return False

    async def _negotiate(self, host: str, port: int, timeout: float) -> wire.Command:
        self.ns = await Link.open(host, port, f"ns[{self.email}]", self._ns_hook, timeout)
        ver = await self.ns.call("VER", *self.versions, "CVR0", timeout=timeout)
        if len(ver.args) < 2 or ver.args[1] == "0":
            raise LoginFailed(f"no common version: {ver.line()}")
        self.dialect = int(ver.args[1][4:])
        await self.ns.call("CVR", "0x0409", "winnt", "5.1", "i386", "MSNMSGR", self.client_version,
                           "msmsgs", self.email, timeout=timeout)
        trid = str(self.ns.next_trid())
        self.ns.send("USR", trid, "TWN", "I", self.email)
        return await self.ns.expect(lambda c: c.trid == trid, timeout)

    async def login(self, timeout: float = DEFAULT_TIMEOUT) -> "MsnClient":
        if self.ns is not None:
            self.ns.close()
        reply = await self._negotiate(self.host, self.ns_port, timeout)
        if reply.name == "XFR" and len(reply.args) >= 3 and reply.args[1] == "NS":
            host, port = reply.args[2].rsplit(":", 1)
            self.redirected_to = (host, int(port))
            self.ns.close()
            reply = await self._negotiate(host, int(port), timeout)
        if wire.is_error(reply.name):
            raise MsnError(int(reply.name), reply)
        if reply.name != "USR" or reply.args[1:3] != ["TWN", "S"]:
            raise LoginFailed(f"unexpected answer to USR TWN I: {reply.line()}")
        ticket = await self.passport_login(reply.args[3], timeout)
        trid = str(self.ns.next_trid())
        self.ns.send("USR", trid, "TWN", "S", ticket)
        ok = await self.ns.expect(lambda c: c.trid == trid, timeout)
        if wire.is_error(ok.name):
            raise MsnError(int(ok.name), ok)
        if self.dialect < 10:
            self.name = wire.url_decode_name(ok.args[3])
        self.profile = await self.ns.expect(
            lambda c: c.name == "MSG" and b"text/x-msmsgsprofile" in (c.payload or b""), timeout)
        return self

    async def passport_login(self, challenge: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        status, headers = await http_get(self.host, self.login_port, "/rdr/pprdr.asp", {}, timeout,
                                         self.login_ssl)
        m = re.search(r"DALogin=([^,]+)", headers.get("passporturls", ""))
        if status != 200 or m is None:
            raise LoginFailed(f"nexus answered {status} without DALogin")
        hostport, _, path = m.group(1).partition("/")
        host, port = hostport.rsplit(":", 1)
        auth = ("Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,"
                f"sign-in={quote(self.email, safe='')},pwd={quote(self.password, safe='')},{challenge}")
        status, headers = await http_get(host, int(port), "/" + path, {"Authorization": auth}, timeout,
                                         self.login_ssl)
        if status != 200:
            raise LoginFailed(f"Passport login answered {status}: {headers.get('www-authenticate', '')}")
        m = re.search(r"from-PP='([^']*)'", headers.get("authentication-info", ""))
        if m is None:
            raise LoginFailed("no from-PP ticket in Authentication-Info")
        return m.group(1)

    async def sync(self, timeout: float = DEFAULT_TIMEOUT) -> dict:
        if self.dialect < 10:
            reply = await self.ns.call("SYN", 0, timeout=timeout)
            n_contacts, n_groups = (int(reply.args[2]), int(reply.args[3])) if len(reply.args) > 3 else (0, 0)
        else:
            reply = await self.ns.call("SYN", 0, 0, timeout=timeout)
            n_contacts, n_groups = int(reply.args[3]), int(reply.args[4])
        self.groups = []
        for _ in range(n_groups):
            g = await self.ns.expect("LSG", timeout)
            self.groups.append({"args": g.args})
        self.contacts = {}
        for _ in range(n_contacts):
            lst = await self.ns.expect("LST", timeout)
            entry = self._parse_lst(lst)
            self.contacts[entry["email"].lower()] = entry
        if self.dialect >= 10:
            prp = await self.ns.expect(lambda c: c.name == "PRP" and c.args[:1] == ["MFN"], timeout)
            self.name = wire.url_decode_name(prp.args[1])
        return {"contacts": self.contacts, "groups": self.groups}

    def _parse_lst(self, lst: wire.Command) -> dict:
        if self.dialect < 10:
            email, name, lists = lst.args[0], lst.args[1], int(lst.args[2])
            return {"email": email, "name": wire.url_decode_name(name), "lists": lists,
                    "groups": lst.args[3] if len(lst.args) > 3 else "", "guid": None}
        fields = {a[:2]: a[2:] for a in lst.args if len(a) > 1 and a[1] == "="}
        rest = [a for a in lst.args if not (len(a) > 1 and a[1] == "=")]
        return {"email": fields.get("N="), "name": wire.url_decode_name(fields.get("F=", "")),
                "guid": fields.get("C="), "lists": int(rest[0]) if rest else 0,
                "groups": rest[-1] if len(rest) > 1 else ""}

    async def set_status(self, status: str = "NLN", caps: int = 0, msnobj: str | None = None,
                         timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        return await self.ns.call("CHG", status, caps, quote(msnobj, safe="") if msnobj else None,
                                  timeout=timeout)

    async def set_psm(self, text: str, media: str = "", timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        def esc(s: str) -> str:
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        payload = f"<Data><PSM>{esc(text)}</PSM><CurrentMedia>{esc(media)}</CurrentMedia></Data>".encode()
        return await self.ns.call("UUX", payload=payload, timeout=timeout)

    async def set_name(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        encoded = wire.url_encode_name(name)
        if self.dialect < 10:
            r = await self.ns.call("REA", self.email, encoded, timeout=timeout)
        else:
            r = await self.ns.call("PRP", "MFN", encoded, timeout=timeout)
        self.name = name
        return r

    async def add_contact(self, email: str, lst: str = "FL", name: str | None = None,
                          timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        if self.dialect < 10:
            r = await self.ns.call("ADD", lst, email, wire.url_encode_name(name or email), timeout=timeout)
        elif lst == "FL":
            r = await self.ns.call("ADC", lst, f"N={email}", f"F={wire.url_encode_name(name or email)}",
                                   timeout=timeout)
        else:
            r = await self.ns.call("ADC", lst, f"N={email}", timeout=timeout)
        entry = self.contacts.setdefault(email.lower(), {"email": email, "lists": 0, "guid": None})
        entry["lists"] |= {"FL": 1, "AL": 2, "BL": 4}[lst]
        for a in r.args:
            if a.startswith("C="):
                entry["guid"] = a[2:]
        return r

    async def remove_contact(self, email: str, lst: str = "FL", timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        who = email
        if lst == "FL" and self.dialect >= 10:
            who = (self.contacts.get(email.lower()) or {}).get("guid") or email
        r = await self.ns.call("REM", lst, who, timeout=timeout)
        entry = self.contacts.get(email.lower())
        if entry:
            entry["lists"] &= ~{"FL": 1, "AL": 2, "BL": 4}[lst]
        return r

    async def ping(self, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        self.ns.send("PNG")
        return await self.ns.expect("QNG", timeout)

    async def expect(self, match: Matcher, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        return await self.ns.expect(match, timeout)

    async def expect_presence(self, email: str, status: str | None = None,
                              timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        """The next ILN/NLN (status given) or FLN (status 'FLN') about email."""
        def match(c: wire.Command) -> bool:
            if status == "FLN":
                return c.name == "FLN" and c.args[:1] == [email]
            if c.name == "NLN":
                return c.args[1:2] == [email] and (status is None or c.args[0] == status)
            if c.name == "ILN":
                return c.args[2:3] == [email] and (status is None or c.args[1] == status)
            return False
        return await self.ns.expect(match, timeout)

    async def expect_ubx(self, email: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """The PSM text of the next UBX about email."""
        c = await self.ns.expect(lambda c: c.name == "UBX" and c.args[:1] == [email], timeout)
        m = re.search(rb"<PSM>(.*?)</PSM>", c.payload or b"", re.S)
        text = (m.group(1) if m else b"").decode("utf-8")
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    async def logout(self) -> None:
        if self.ns is not None and not self.ns.eof:
            self.ns.send("OUT")
            try:
                await self.ns.wait_closed(5)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                pass
            self.ns.close()

    def close(self) -> None:
        """Closes the NS connection and every switchboard connection, without a word."""
        for sb in self.switchboards:
            sb.link.close()
        if self.ns is not None:
            self.ns.close()

    # -- switchboard

    async def open_switchboard(self, invitee: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                               wait_join: bool = True) -> "Switchboard":
        xfr = await self.ns.call("XFR", "SB", timeout=timeout)
        host, port = xfr.args[2].rsplit(":", 1)
        cookie = xfr.args[4]
        link = await Link.open(host, int(port), f"sb[{self.email}]", timeout=timeout)
        await link.call("USR", self.email, cookie, timeout=timeout)
        sb = Switchboard(self, link)
        if invitee is not None:
            await sb.invite(invitee, timeout=timeout, wait_join=wait_join)
        return sb

    async def wait_ring(self, caller: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        return await self.ns.expect(lambda c: c.name == "RNG" and (caller is None or c.args[4:5] == [caller]),
                                    timeout)

    async def answer(self, rng: wire.Command, timeout: float = DEFAULT_TIMEOUT) -> "Switchboard":
        sid, hostport, _, cookie = rng.args[:4]
        host, port = hostport.rsplit(":", 1)
        link = await Link.open(host, int(port), f"sb[{self.email}]", timeout=timeout)
        trid = str(link.next_trid())
        link.send("ANS", trid, self.email, cookie, sid)
        sb = Switchboard(self, link, session_id=sid)
        while True:
            c = await link.expect(lambda c: c.trid == trid, timeout)
            if wire.is_error(c.name):
                raise MsnError(int(c.name), c)
            if c.name == "IRO":
                sb.participants[c.args[3]] = wire.url_decode_name(c.args[4])
            elif c.name == "ANS":
                return sb


class Switchboard:
    def __init__(self, client: MsnClient, link: Link, session_id: str | None = None):
        self.client = client
        self.link = link
        self.session_id = session_id
        self.participants: dict[str, str] = {}
        client.switchboards.append(self)

    async def invite(self, email: str, timeout: float = DEFAULT_TIMEOUT, wait_join: bool = True) -> None:
        cal = await self.link.call("CAL", email, timeout=timeout)
        self.session_id = cal.args[2]
        if wait_join:
            await self.wait_join(email, timeout)

    async def wait_join(self, email: str, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        """The JOI of email (the callee answered). The callee must answer the RNG meanwhile,
        so a test that plays both sides invites with wait_join=False and calls this after."""
        joi = await self.link.expect(lambda c: c.name == "JOI" and c.args[:1] == [email], timeout)
        self.participants[email] = wire.url_decode_name(joi.args[1])
        return joi

    async def send_payload(self, payload: bytes, ack: str = "A",
                           timeout: float = DEFAULT_TIMEOUT) -> wire.Command | None:
        """Sends MSG; with ack A/D waits for ACK or NAK and returns it; with U/N returns None."""
        trid = str(self.link.next_trid())
        self.link.send("MSG", trid, ack, payload=payload)
        if ack in ("A", "D"):
            return await self.link.expect(lambda c: c.trid == trid and c.name in ("ACK", "NAK"), timeout)
        return None

    async def send_text(self, text: str, ack: str = "A", timeout: float = DEFAULT_TIMEOUT):
        return await self.send_payload(text_payload(text), ack, timeout)

    async def send_typing(self, timeout: float = DEFAULT_TIMEOUT):
        return await self.send_payload(typing_payload(self.client.email), "U", timeout)

    async def send_nudge(self, timeout: float = DEFAULT_TIMEOUT):
        return await self.send_payload(nudge_payload(), "N", timeout)

    async def next_message(self, content_type: str | None = None,
                           timeout: float = DEFAULT_TIMEOUT) -> Message:
        def match(c: wire.Command) -> bool:
            if c.name != "MSG":
                return False
            return content_type is None or content_type in wire.parse_mime(c.payload or b"")[0].get(
                "Content-Type", "")
        c = await self.link.expect(match, timeout)
        headers, body = wire.parse_mime(c.payload or b"")
        return Message(c.args[0], wire.url_decode_name(c.args[1]), headers, body, c.payload or b"")

    async def next_text(self, timeout: float = DEFAULT_TIMEOUT) -> Message:
        return await self.next_message("text/plain", timeout)

    async def expect(self, match: Matcher, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        return await self.link.expect(match, timeout)

    async def expect_bye(self, email: str, timeout: float = DEFAULT_TIMEOUT) -> wire.Command:
        return await self.link.expect(lambda c: c.name == "BYE" and c.args[:1] == [email], timeout)

    async def leave(self) -> None:
        if not self.link.eof:
            self.link.send("OUT")
            try:
                await self.link.wait_closed(5)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                pass
        self.link.close()

    @property
    def closed(self) -> bool:
        return self.link.eof
