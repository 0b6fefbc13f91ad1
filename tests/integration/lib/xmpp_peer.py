"""XMPP peers for integration tests: a throwaway Prosody and a slixmpp user.

    from lib.xmpp_peer import Prosody, XmppUser

    prosody = Prosody(self.tmp, domain="example.org", networks=["sms"],
                      users={"alice": "pw"}).start()
    alice = XmppUser("alice@example.org/pc", "pw", prosody.c2s_port).start()
    alice.send_message("+33611111111@sms.example.org", "hi", receipt=True)
    msg = alice.wait_message(lambda m: m.body.startswith("echo:"), timeout=10)
    alice.stop(); prosody.stop()

Prosody (Debian's 0.12) runs in the foreground from a config written into the test's
directory: one VirtualHost, c2s and component listeners on 127.0.0.1 only (free ports),
no s2s, no HTTP, data and logs in the directory, `run_as_root = true` when the tests
run as root, plaintext c2s allowed (loopback only; SCRAM still used). One Component per
network, `<network>.<domain>`, with the shared secret.

XmppUser runs slixmpp (Debian python3-slixmpp 1.8, so use /usr/bin/python3) on its own
asyncio loop in a thread; every method is synchronous and bounded by a timeout, so it
can be used straight from unittest. Everything the user receives is kept in a list of
`Stanza` records (kind, type, from, to, id, body, chat state, receipt ids, error) and
waited for with `wait(kind, predicate, timeout)`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from . import procs
from .ports import LOOPBACK, free_ports

PROSODY = os.environ.get("PROSODY", "/usr/bin/prosody")
PROSODYCTL = os.environ.get("PROSODYCTL", "/usr/bin/prosodyctl")

NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_RECEIPTS = "urn:xmpp:receipts"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_OOB = "jabber:x:oob"  # XEP-0066 out-of-band data: a link to a file
CHAT_STATES = ("active", "composing", "paused", "inactive", "gone")


def _lua(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Prosody:
    """A Prosody server for one test. `networks` become components `<net>.<domain>`
    (or pass `components` with full domains); `users` maps localpart -> password."""

    def __init__(self, workdir, *, domain: str = "example.org", networks: Iterable[str] = ("sms",),
                 components: Iterable[str] | None = None, secret: str = "component-secret",
                 users: Mapping[str, str] | None = None, name: str = "prosody",
                 log_level: str | None = None):
        self.dir = Path(workdir) / name
        self.domain = domain
        self.components = list(components) if components is not None else [f"{n}.{domain}" for n in networks]
        self.secret = secret
        self.users = dict(users or {})
        self.name = name
        self.log_level = log_level or os.environ.get("PROSODY_LOG_LEVEL", "info")
        self.c2s_port, self.component_port = free_ports(2)
        self.host = LOOPBACK
        self.proc: procs.Proc | None = None
        self.config_path = self.dir / "prosody.cfg.lua"
        self.log_path = self.dir / "prosody.log"

    # -- config -------------------------------------------------------------------------

    def render_config(self) -> str:
        d = self.dir
        lines = [
            "-- written by tests/integration/lib/xmpp_peer.py; throwaway",
            f"pidfile = {_lua(str(d / 'prosody.pid'))}",
            f"data_path = {_lua(str(d / 'data'))}",
            "daemonize = false",
            f"run_as_root = {'true' if os.geteuid() == 0 else 'false'}",
            'interfaces = { "127.0.0.1" }',
            'local_interfaces = { "127.0.0.1" }',
            f"c2s_ports = {{ {self.c2s_port} }}",
            'c2s_interfaces = { "127.0.0.1" }',
            "c2s_direct_tls_ports = { }",
            f"component_ports = {{ {self.component_port} }}",
            'component_interfaces = { "127.0.0.1" }',
            "s2s_ports = { }",
            "http_ports = { }",
            "https_ports = { }",
            'modules_enabled = { "roster", "saslauth", "disco", "ping", "posix" }',
            'modules_disabled = { "s2s", "tls", "offline", "carbons", "smacks", "http" }',
            'authentication = "internal_plain"',
            'storage = "internal"',
            "allow_registration = false",
            "c2s_require_encryption = false",
            "s2s_require_encryption = false",
            "allow_unencrypted_plain_auth = false",
            "certificates = nil",
            f"log = {{ {{ levels = {{ min = {_lua(self.log_level)} }}, to = \"file\", "
            f"filename = {_lua(str(self.log_path))} }} }}",
            "",
            f"VirtualHost {_lua(self.domain)}",
            "",
        ]
        for comp in self.components:
            lines += [f"Component {_lua(comp)}", f"    component_secret = {_lua(self.secret)}", ""]
        return "\n".join(lines) + "\n"

    def write_config(self) -> Path:
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.render_config())
        return self.config_path

    # -- users --------------------------------------------------------------------------

    def register(self, user: str, password: str, timeout: float = 30.0) -> None:
        """prosodyctl register (works while the server is stopped or running)."""
        if not self.config_path.exists():
            self.write_config()
        r = subprocess.run([PROSODYCTL, "--config", str(self.config_path), "register", user, self.domain,
                            password], capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError(f"prosodyctl register {user}@{self.domain} failed ({r.returncode}):\n"
                               f"{r.stdout}\n{r.stderr}")
        self.users[user] = password

    # -- process ------------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> "Prosody":
        self.write_config()
        for user, password in list(self.users.items()):
            self.register(user, password)
        self.proc = procs.start([PROSODY, "--config", str(self.config_path), "-F"], log_dir=self.dir,
                                name=self.name, cwd=self.dir)
        procs.wait_for_port(self.host, self.c2s_port, timeout=timeout, proc=self.proc)
        procs.wait_for_port(self.host, self.component_port, timeout=timeout, proc=self.proc)
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        rc = procs.stop(self.proc, timeout=timeout)
        self.proc = None
        return rc

    def running(self) -> bool:
        return self.proc is not None and self.proc.running()

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> "Prosody":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------
# slixmpp user

@dataclass
class Stanza:
    """One stanza the user received, digested. `xml` is the full ElementTree element."""
    kind: str                      # "message" | "presence" | "iq"
    type: str                      # the type attribute ("" when absent)
    frm: str
    to: str
    id: str
    body: str | None = None
    chat_state: str | None = None
    receipt_for: str | None = None          # <received id=...>
    receipt_requested: bool = False
    error_type: str | None = None
    error_condition: str | None = None
    error_text: str | None = None
    priority: int | None = None
    oob: list[tuple[str, str | None]] = field(default_factory=list)  # XEP-0066 (url, desc)
    xml: ET.Element | None = field(default=None, repr=False)
    at: float = field(default_factory=time.monotonic)

    @property
    def bare_from(self) -> str:
        return self.frm.split("/", 1)[0]


def digest(el: ET.Element) -> Stanza:
    tag = el.tag.split("}", 1)[-1]
    s = Stanza(kind=tag, type=el.get("type", ""), frm=el.get("from", ""), to=el.get("to", ""),
               id=el.get("id", ""), xml=el)
    for child in el:
        ns, _, name = child.tag[1:].partition("}") if child.tag.startswith("{") else ("", "", child.tag)
        if name == "body" and s.body is None and ns in ("jabber:client", ""):
            s.body = child.text or ""
        elif ns == NS_CHATSTATES and name in CHAT_STATES:
            s.chat_state = name
        elif ns == NS_RECEIPTS and name == "received":
            s.receipt_for = child.get("id", "")
        elif ns == NS_RECEIPTS and name == "request":
            s.receipt_requested = True
        elif ns == NS_OOB and name == "x":
            url = child.find(f"{{{NS_OOB}}}url")
            desc = child.find(f"{{{NS_OOB}}}desc")
            s.oob.append(((url.text or "").strip() if url is not None else "",
                          desc.text if desc is not None else None))
        elif name == "priority":
            try:
                s.priority = int(child.text or "0")
            except ValueError:
                pass
        elif name == "error":
            s.error_type = child.get("type")
            for c in child:
                cname = c.tag.split("}", 1)[-1]
                if cname == "text":
                    s.error_text = c.text or ""
                elif s.error_condition is None:
                    s.error_condition = cname
    return s


class XmppError(RuntimeError):
    pass


class XmppUser:
    """A user logged in with slixmpp on a private asyncio loop (one thread per user).

    `priority=None` sends no initial presence (the user stays unavailable); an int sends
    available presence with that priority once the session starts, and `start()` returns
    only when the server has echoed it back: from then on the server counts the user as
    online, so presence sent to the bare JID reaches this client."""

    def __init__(self, jid: str, password: str, port: int, *, host: str = LOOPBACK,
                 priority: int | None = 0, auto_authorize: bool = True):
        self.jid = jid
        self.password = password
        self.port = port
        self.host = host
        self.priority = priority
        self.auto_authorize = auto_authorize
        self.received: list[Stanza] = []
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._xmpp = None
        self._started = threading.Event()
        self._ended = threading.Event()
        self._failure: str | None = None

    # -- life cycle -----------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> "XmppUser":
        self._thread = threading.Thread(target=self._run, name=f"slixmpp-{self.jid}", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            self.stop()
            raise XmppError(f"{self.jid}: no session, or no echo of its presence, after {timeout:g} s ({self._failure or 'no answer'})")
        if self._failure:
            raise XmppError(f"{self.jid}: {self._failure}")
        return self

    def _run(self) -> None:
        import slixmpp
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        xmpp = slixmpp.ClientXMPP(self.jid, self.password)
        xmpp.loop = loop
        xmpp.auto_authorize = self.auto_authorize
        xmpp.auto_subscribe = False
        self._xmpp = xmpp

        def record(stanza) -> None:
            # A copy of the XML: slixmpp reuses stanza objects.
            el = ET.fromstring(str(stanza))
            s = digest(el)
            with self._cond:
                self.received.append(s)
                self._cond.notify_all()
            # The server's echo of our initial presence (RFC 6121 4.2.2).
            if s.kind == "presence" and s.type == "" and s.frm == str(xmpp.boundjid.full):
                self._started.set()

        for kind in ("message", "presence"):
            xmpp.register_handler(Callback(f"record {kind}", MatchXPath(f"{{jabber:client}}{kind}"), record))

        def session_start(_event) -> None:
            if self.priority is not None:
                xmpp.send_presence(ppriority=self.priority)
            else:
                self._started.set()

        def failed(_event=None, why="authentication failed") -> None:
            self._failure = why
            self._started.set()

        xmpp.add_event_handler("session_start", session_start)
        xmpp.add_event_handler("failed_auth", lambda e: failed(e, "authentication failed"))
        xmpp.add_event_handler("connection_failed", lambda e: failed(e, f"connection failed: {e}"))
        xmpp.add_event_handler("disconnected", lambda e: self._ended.set())
        xmpp.connect((self.host, self.port), force_starttls=False, disable_starttls=True)
        try:
            loop.run_forever()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in pending:
                    t.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Sends unavailable presence, closes the stream, ends the thread."""
        if self._loop is None or self._thread is None:
            return
        xmpp, loop = self._xmpp, self._loop

        async def close() -> None:
            try:
                xmpp.send_presence(ptype="unavailable")
                await xmpp.disconnect(wait=1.0)
            except Exception:  # noqa: BLE001
                pass

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout)
        except Exception:  # noqa: BLE001
            pass
        self._ended.wait(timeout)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)
        self._loop = None
        self._thread = None

    # -- sending --------------------------------------------------------------------------

    def _call(self, fn: Callable[[], object], timeout: float = 5.0):
        if self._loop is None:
            raise XmppError(f"{self.jid} is not connected")

        async def run():
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def send_raw(self, xml: str) -> None:
        self._call(lambda: self._xmpp.send_raw(xml))

    def send_message(self, to: str, body: str | None, *, mtype: str = "chat", receipt: bool = False,
                     chat_state: str | None = None, id: str | None = None) -> str:
        """Sends a message; returns its id."""
        def go():
            m = self._xmpp.make_message(mto=to, mbody=body, mtype=mtype)
            m["id"] = id or self._xmpp.new_id()
            if receipt:
                m.xml.append(ET.Element(f"{{{NS_RECEIPTS}}}request"))
            if chat_state:
                m.xml.append(ET.Element(f"{{{NS_CHATSTATES}}}{chat_state}"))
            m.send()
            return m["id"]
        return self._call(go)

    def send_chat_state(self, to: str, state: str) -> str:
        return self.send_message(to, None, chat_state=state)

    def send_receipt(self, to: str, origin_id: str) -> None:
        def go():
            m = self._xmpp.make_message(mto=to)
            el = ET.Element(f"{{{NS_RECEIPTS}}}received")
            el.set("id", origin_id)
            m.xml.append(el)
            m.send()
        self._call(go)

    def send_presence(self, to: str | None = None, ptype: str | None = None, priority: int | None = None) -> None:
        self._call(lambda: self._xmpp.send_presence(pto=to, ptype=ptype, ppriority=priority))

    def iq(self, to: str, payload: str, itype: str = "get", timeout: float = 10.0) -> Stanza:
        """Sends <iq type=itype to=to>payload</iq> and returns the answer (result or
        error) as a Stanza whose `xml` is the whole iq."""
        loop = self._loop
        if loop is None:
            raise XmppError(f"{self.jid} is not connected")
        from slixmpp.exceptions import IqError, IqTimeout

        async def go():
            iq = self._xmpp.Iq()
            iq["to"] = to
            iq["type"] = itype
            iq.xml.append(ET.fromstring(payload))
            try:
                answer = await iq.send(timeout=timeout)
            except IqError as e:
                answer = e.iq
            except IqTimeout:
                return None
            return digest(ET.fromstring(str(answer)))

        result = asyncio.run_coroutine_threadsafe(go(), loop).result(timeout + 2)
        if result is None:
            raise TimeoutError(f"no answer to iq {itype} to {to} in {timeout:g} s")
        return result

    # -- receiving ------------------------------------------------------------------------

    def wait(self, kind: str | None = None, predicate: Callable[[Stanza], bool] | None = None,
             timeout: float = 10.0, *, since: float | None = None) -> Stanza:
        """The first received stanza (of `kind`, received after `since`, matching
        `predicate`); TimeoutError otherwise, listing what did arrive."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for s in self.received:
                    if kind and s.kind != kind:
                        continue
                    if since is not None and s.at < since:
                        continue
                    if predicate is None or predicate(s):
                        return s
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = "\n  ".join(f"{s.kind} type={s.type!r} from={s.frm} body={s.body!r} "
                                       f"state={s.chat_state} receipt={s.receipt_for} err={s.error_condition}"
                                       for s in self.received[-15:])
                    raise TimeoutError(f"{self.jid}: no matching {kind or 'stanza'} in {timeout:g} s; "
                                       f"last received:\n  {seen}")
                self._cond.wait(left)

    def wait_message(self, predicate=None, timeout: float = 10.0, **kw) -> Stanza:
        return self.wait("message", lambda s: s.type != "error" and s.body is not None
                         and (predicate is None or predicate(s)), timeout, **kw)

    def wait_error(self, predicate=None, timeout: float = 10.0, **kw) -> Stanza:
        return self.wait("message", lambda s: s.type == "error" and (predicate is None or predicate(s)),
                         timeout, **kw)

    def wait_receipt(self, origin_id: str, timeout: float = 10.0) -> Stanza:
        return self.wait("message", lambda s: s.receipt_for == origin_id, timeout)

    def wait_chat_state(self, state: str | None = None, timeout: float = 10.0, **kw) -> Stanza:
        return self.wait("message", lambda s: s.chat_state is not None and s.body is None
                         and (state is None or s.chat_state == state), timeout, **kw)

    def wait_presence(self, predicate=None, timeout: float = 10.0, **kw) -> Stanza:
        return self.wait("presence", predicate, timeout, **kw)

    def messages(self) -> list[Stanza]:
        with self._cond:
            return [s for s in self.received if s.kind == "message"]

    def __enter__(self) -> "XmppUser":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
