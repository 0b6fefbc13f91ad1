"""Replays every transcript of tests/vectors/msnp.json against the test server: the
client lines are sent byte for byte (with the run's ticket, cookies and session ids
substituted), and each server line must equal `data` (payload bytes included) or match
`match`; a payload command's byte count must be exact."""

from __future__ import annotations

import json
import re
import socket
import time
import unittest
import urllib.request
from pathlib import Path

from tests.peers.msn import wire
from tests.peers.msn.harness import REPO, MsnServer

VECTORS = json.loads((REPO / "tests" / "vectors" / "msnp.json").read_text())
TRANSCRIPTS = {t["name"]: t for t in VECTORS["transcripts"]}
TIMEOUT = 10.0


class RawConn:
    """A blocking socket that reads lines and exact byte counts, with timeouts."""

    def __init__(self, port: int, name: str):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"{self.name}: closed by the server")
        self.buf += chunk

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def command(self) -> tuple[bytes, bytes]:
        """(line, payload) of the next server command."""
        line = self.line()
        cmd = wire.parse_line(line)
        n = wire.payload_length(cmd, wire.SERVER_PAYLOAD_COMMANDS)
        return line, (self.exactly(n) if n is not None else b"")

    def drain(self, quiet: float = 0.3) -> list[bytes]:
        out = []
        self.sock.settimeout(quiet)
        try:
            while True:
                line, payload = self.command()
                out.append(line + payload)
        except (socket.timeout, TimeoutError):
            pass
        finally:
            self.sock.settimeout(TIMEOUT)
        return out

    def closed_by_peer(self, timeout: float = TIMEOUT) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionError:
            return True

    def close(self) -> None:
        self.sock.close()


def tweener_ticket(login_port: int, email: str, password: str, challenge: str) -> str:
    nexus = urllib.request.urlopen(f"http://127.0.0.1:{login_port}/rdr/pprdr.asp", timeout=TIMEOUT)
    dalogin = re.search(r"DALogin=([^,]+)", nexus.headers["PassportURLs"]).group(1)
    auth = (f"Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,"
            f"sign-in={urllib.request.quote(email, safe='')},pwd={password},{challenge}")
    req = urllib.request.Request(f"http://{dalogin}", headers={"Authorization": auth})
    resp = urllib.request.urlopen(req, timeout=TIMEOUT)
    return re.search(r"from-PP='([^']*)'", resp.headers["Authentication-Info"]).group(1)


class Replay:
    """Runs transcript steps on named connections."""

    def __init__(self, test: unittest.TestCase, server: MsnServer):
        self.test = test
        self.server = server
        self.conns: dict[str, RawConn] = {}
        self.vars: dict[str, str] = {}
        self.last: dict[str, tuple[bytes, bytes]] = {}

    def conn(self, who: str) -> RawConn:
        if who not in self.conns:
            if who.endswith("-sb"):
                hostport = self.vars[f"{who}:hostport"]
                port = int(hostport.rsplit(":", 1)[1])
            else:
                port = self.server.info["ns_port"]
            self.conns[who] = RawConn(port, who)
        return self.conns[who]

    def close(self) -> None:
        for c in self.conns.values():
            c.close()

    def substitute(self, text: str) -> str:
        for key, value in self.vars.items():
            text = text.replace(f"<{key}>", value)
        return text

    def client(self, who: str, data: str) -> None:
        self.conn(who).send(self.substitute(data).encode("utf-8"))

    def expect(self, who: str, step: dict, label: str) -> tuple[bytes, bytes]:
        c = self.conn(who)
        line, payload = c.command()
        got = line.decode("utf-8")
        if "data" in step:
            exp = step["data"].encode("utf-8")
            self.test.assertEqual(line + payload, exp, f"{label}: {who} got {line + payload!r}")
        else:
            self.test.assertRegex(got, step["match"], f"{label}: {who} got {got!r}")
            cmd = wire.parse_line(line)
            if cmd.name in wire.SERVER_PAYLOAD_COMMANDS and cmd.args and cmd.args[-1].isdigit():
                self.test.assertEqual(len(payload), int(cmd.args[-1]))
        self._learn(who, wire.parse_line(line))
        self.last[who] = (line, payload)
        return line, payload

    def _learn(self, who: str, cmd: wire.Command) -> None:
        if cmd.name == "USR" and cmd.args[1:3] == ["TWN", "S"]:
            self.vars[f"{who}:challenge"] = cmd.args[3]
        if cmd.name == "XFR" and cmd.args[1:2] == ["SB"]:
            self.vars["cookie from XFR"] = cmd.args[4]
            self.vars[f"{who[0]}-sb:hostport"] = cmd.args[2]
        if cmd.name == "RNG":
            self.vars["session id from RNG"] = cmd.args[0]
            self.vars["cookie from RNG"] = cmd.args[3]
            self.vars[f"{who[0]}-sb:hostport"] = cmd.args[1]

    def http_login(self, who: str, email: str, password: str = "123456") -> None:
        self.vars["ticket"] = tweener_ticket(self.server.info["login_port"], email, password,
                                             self.vars[f"{who}:challenge"])

    def run(self, transcript: dict, default_who: str = "ns", email: str = "t1e@example.com",
            on_note=None) -> None:
        for i, step in enumerate(transcript["steps"]):
            label = f"{transcript['name']} step {i}"
            who = step.get("who", default_who)
            if step["dir"] == "client":
                self.client(who, step["data"])
            elif step["dir"] == "server":
                if "data" in step or "match" in step:
                    self.expect(who, step, label)
                else:
                    self.check_note(who, step, label)
            elif step["dir"] == "http":
                self.http_login(who, email)
            elif step["dir"] == "note" and on_note is not None:
                on_note(self, who, step)

    def check_note(self, who: str, step: dict, label: str) -> None:
        # The profile note lists header names; hold the payload just read to them.
        note = step["note"]
        if "x-msmsgsprofile" in note:
            _, payload = self.last[who]
            headers, _ = wire.parse_mime(payload)
            self.test.assertIn("text/x-msmsgsprofile", headers.get("Content-Type", ""), label)
            for name in re.findall(r"\b(LoginTime|MemberIdHigh|MemberIdLow|MSPAuth|ClientIP|ClientPort|"
                                   r"ABCHMigrated|MPOPEnabled)\b", note):
                self.test.assertIn(name, headers, f"{label}: profile lacks {name}")


def login_steps(email: str, trid0: int = 0) -> list[dict]:
    """G-M1's client side for another account (same lines, other email)."""
    steps = TRANSCRIPTS["G-M1-ns-login-msnp12"]["steps"]
    out = []
    for s in steps:
        s = dict(s)
        for k in ("data", "match"):
            if k in s:
                s[k] = s[k].replace("t1e@example", email.split("@")[0] + "@example") \
                    .replace("t1e@example\\.com", re.escape(email))
        out.append(s)
    return out


def fixture(server: MsnServer) -> None:
    """The accounts of the captured run: t1e, t2e, t3e (password 123456); t2e has t1e
    on FL+AL in group U1G1; t3e has t2e on its FL (so t2e has t3e on RL)."""
    for n in (1, 2, 3):
        server.add_account(f"t{n}e@example.com", "123456", f"T{n}e")
    server.check("add_contact", owner="t2e@example.com", contact="t1e@example.com", lists=["FL", "AL"],
                 group="U1G1")
    server.check("add_contact", owner="t3e@example.com", contact="t2e@example.com", lists=["FL", "AL"])


class TranscriptTest(unittest.TestCase):
    extra_args: list[str] = []

    def setUp(self):
        self.server = MsnServer(extra_args=self.extra_args).start()
        self.addCleanup(self.server.stop)
        fixture(self.server)
        self.replay = Replay(self, self.server)
        self.addCleanup(self.replay.close)

    def login12(self, who: str, email: str) -> None:
        self.replay.run({"name": f"login {email}", "steps": login_steps(email)}, default_who=who, email=email)

    def test_m1_login_msnp12(self):
        t = TRANSCRIPTS["G-M1-ns-login-msnp12"]
        self.replay.run(t)
        # nothing else was sent after the profile
        self.assertEqual(self.replay.conn("ns").drain(0.2), [])

    def test_m2_sync_and_presence_msnp12(self):
        self.login12("A-ns", "t1e@example.com")
        self.replay.client("A-ns", "CHG 5 NLN 0\r\n")
        self.replay.conn("A-ns").drain()
        self.login12("ns", "t2e@example.com")
        self.replay.run(TRANSCRIPTS["G-M2-sync-and-presence-msnp12"])
        lines = self.replay.conn("ns").drain(0.2)
        self.assertEqual(lines, [], "nothing after the initial mail notification")

    def test_m3_switchboard_chat_msnp12(self):
        for who, email in (("A-ns", "t1e@example.com"), ("B-ns", "t2e@example.com")):
            self.login12(who, email)
            self.replay.client(who, "SYN 5 0 0\r\n")
            self.replay.client(who, "CHG 6 NLN 0\r\n")
            time.sleep(0.1)
        for who in ("A-ns", "B-ns"):
            self.replay.conn(who).drain()
        self.replay.run(TRANSCRIPTS["G-M3-switchboard-chat-msnp12"])
        self.assertTrue(self.replay.conn("A-sb").closed_by_peer(5), "A's switchboard closes after OUT")
        events = self.server.routed(kinds=["sb_msg"])
        self.assertEqual([e["length"] for e in events], [88, 125])
        self.assertEqual(events[1]["body"], "Hello from A")
        self.assertEqual(events[1]["to"], ["t2e@example.com"])

    def test_m4_msnp8_differences(self):
        def login(replay: Replay, who: str, step: dict) -> None:
            replay.client(who, "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.5.0324 msmsgs t1e@example.com\r\n")
            replay.expect(who, {"match": r"^CVR 2 \S+ \S+ \S+ \S+ \S+\r\n$"}, "CVR")
            replay.client(who, "USR 3 TWN I t1e@example.com\r\n")
            replay.expect(who, {"match": r"^USR 3 TWN S [^\r\n]+\r\n$"}, "USR I")
            replay.http_login(who, "t1e@example.com")
            replay.client(who, "USR 4 TWN S <ticket>\r\n")
        self.replay.run(TRANSCRIPTS["G-M4-msnp8-differences"], on_note=login)
        self.assertEqual(self.replay.conn("ns").drain(0.2), [])

    def test_version_negotiation_picks_highest_offered(self):
        c = self.replay.conn("ns")
        c.send(b"VER 1 MSNP12 MSNP11 MSNP10 MSNP9 MSNP8 CVR0\r\n")
        self.assertEqual(c.line(), b"VER 1 MSNP12\r\n")
        c2 = RawConn(self.server.info["ns_port"], "ns2")
        self.addCleanup(c2.close)
        c2.send(b"VER 1 MSNP15 MSNP14 CVR0\r\n")
        self.assertEqual(c2.line(), b"VER 1 0\r\n")
        self.assertTrue(c2.closed_by_peer(5))


class TranscriptMsnp8OnlyTest(unittest.TestCase):
    def test_server_offering_only_msnp8(self):
        server = MsnServer(extra_args=["--versions", "MSNP8"]).start()
        self.addCleanup(server.stop)
        fixture(server)
        replay = Replay(self, server)
        self.addCleanup(replay.close)
        c = replay.conn("ns")
        c.send(b"VER 1 MSNP12 MSNP11 MSNP10 MSNP9 MSNP8 CVR0\r\n")
        self.assertEqual(c.line(), b"VER 1 MSNP8\r\n")

    def test_msnp8_documented_login_order(self):
        server = MsnServer(extra_args=["--msnp8-login-order", "documented"]).start()
        self.addCleanup(server.stop)
        fixture(server)
        replay = Replay(self, server)
        self.addCleanup(replay.close)
        replay.client("ns", "VER 1 MSNP8 CVR0\r\n")
        replay.expect("ns", {"data": "VER 1 MSNP8\r\n"}, "VER")
        replay.client("ns", "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.5.0324 msmsgs t1e@example.com\r\n")
        replay.conn("ns").line()
        replay.client("ns", "USR 3 TWN I t1e@example.com\r\n")
        replay.expect("ns", {"match": r"^USR 3 TWN S [^\r\n]+\r\n$"}, "USR I")
        replay.http_login("ns", "t1e@example.com")
        replay.client("ns", "USR 4 TWN S <ticket>\r\n")
        replay.expect("ns", {"data": "USR 4 OK t1e@example.com T1e 1 0\r\n"}, "USR OK first")
        replay.expect("ns", {"match": r"^MSG Hotmail Hotmail \d+\r\n$"}, "then the profile")


if __name__ == "__main__":
    unittest.main()
