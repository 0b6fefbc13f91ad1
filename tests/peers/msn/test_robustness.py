"""Garbage, over-long lines, absurd or wrong byte counts, half-closed connections: each
bad connection is closed with a logged reason, the server keeps serving everyone else.
Also the codec's own limits and the challenge algorithms' published vectors."""

from __future__ import annotations

import asyncio
import socket
import unittest

from tests.peers.msn import challenge, wire
from tests.peers.msn.client import MsnClient
from tests.peers.msn.harness import MsnServer
from tests.peers.msn.test_transcripts import RawConn

T = 10.0


class ChallengeVectorsTest(unittest.TestCase):
    def test_msnp8_md5_vector(self):
        # hypothetic.org, "Notification - Challenges": CHL 0 15570131571988941333
        self.assertEqual(challenge.answer("15570131571988941333", "msmsgs@msnmsgr.com", 8),
                         "8f2f5a91b72102cd28355e9fc9000d6e")

    def test_msnp11_vectors(self):
        # MSNPiki "MSNP11:Challenges" worked example and published client test values
        for chl, expected in (("22210219642164014968", "85ecb0db8f32113df79ce0892b9a102c"),
                              ("36819795137093047918", "e7ad3cb09d3e9e4e7c720175984809e9"),
                              ("21948129323261853323", "59bcf63ed21f44906c3d3e121ddbed65"),
                              ("41525959199453244913", "dcb8ff529e4dd12cc43389851128d2db")):
            self.assertEqual(challenge.answer(chl, "PROD0090YUAUV{2B", 12), expected)

    def test_product_id_must_fit_the_version(self):
        self.assertIsNone(challenge.answer("1", "msmsgs@msnmsgr.com", 12))
        self.assertIsNone(challenge.answer("1", "PROD0090YUAUV{2B", 8))
        self.assertIsNone(challenge.answer("1", "unknown", 8))


class CodecTest(unittest.IsolatedAsyncioTestCase):
    async def read(self, data: bytes, commands=wire.CLIENT_PAYLOAD_COMMANDS, **kw):
        r = asyncio.StreamReader(limit=wire.MAX_LINE)
        r.feed_data(data)
        r.feed_eof()
        return await wire.read_command(r, commands, **kw)

    async def test_payload_and_trailing_empty_field(self):
        cmd = await self.read(b"MSG 4 A 5\r\nhelloVER 5 x\r\n")
        self.assertEqual((cmd.name, cmd.args, cmd.payload), ("MSG", ["4", "A", "5"], b"hello"))
        cmd = await self.read(b"LST N=a@b.c F=A 8 1 \r\n", wire.SERVER_PAYLOAD_COMMANDS)
        self.assertEqual(cmd.args, ["N=a@b.c", "F=A", "8", "1", ""])
        self.assertEqual(wire.encode("UBX", "a@b.c", None, payload=b"<Data/>"), b"UBX a@b.c 7\r\n<Data/>")

    async def test_limits(self):
        for data, why in ((b"X" * (wire.MAX_LINE + 10) + b"\r\n", "long"),
                          (b"MSG 1 A 99999999999999\r\n", "absurd"),
                          (b"MSG 1 A 70000\r\n" + b"x" * 10, "announces"),
                          (b"MSG 1 A 10\r\nabc", "inside"),
                          (b"UUX 1 -5\r\n", "without a byte count"),
                          (b"VER 1 MSNP8", "inside a line")):
            with self.assertRaises(wire.ProtocolError, msg=why) as e:
                await self.read(data)
            self.assertTrue(str(e.exception), why)
        self.assertIsNone(await self.read(b""))
        # server-side commands whose last field is not a count carry no payload
        cmd = await self.read(b"QRY 7\r\n", wire.SERVER_PAYLOAD_COMMANDS)
        self.assertIsNone(cmd.payload)


class GarbageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = MsnServer().start()
        cls.server.add_account("g1@example.com", "pw", "G1")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def assert_closed(self, port: int, data: bytes, reply: bytes | None = None, kind: str = "ns") -> None:
        c = RawConn(port, kind)
        try:
            c.send(data)
            self.assertTrue(c.closed_by_peer(5), f"not closed after {data[:40]!r}")
            if reply is not None:
                self.assertIn(reply, c.buf)
        finally:
            c.close()

    def assert_alive(self) -> None:
        self.assertTrue(self.server.running())
        self.assertTrue(self.server.control("ping")["ok"])

        async def login():
            c = MsnClient("g1@example.com", "pw", ns_port=self.server.ns_port, login_port=self.server.login_port)
            await c.login(T)
            await c.sync(T)
            await c.set_status("NLN")
            sb = await c.open_switchboard()
            await sb.leave()
            await c.logout()
        asyncio.run(asyncio.wait_for(login(), T))

    def test_ns_garbage(self):
        ns = self.server.ns_port
        self.assert_closed(ns, b"\x00\xff\xfe garbage \x80\x81\r\n")
        self.assert_closed(ns, b"A" * 100000)                       # no line end at all
        self.assert_closed(ns, b"VER 1 MSNP12 CVR0\r\nUUX 2 99999999999\r\n")
        self.assert_closed(ns, b"VER 1 MSNP12 CVR0\r\nQRY 2 PROD0090YUAUV{2B 1000000\r\n")
        self.assert_closed(ns, b"VER 1 MSNP12 CVR0\r\nSYN 2 0 0\r\n")  # before login
        self.assert_closed(ns, b"VER x MSNP12\r\n")
        self.assert_closed(ns, b"VER 1 MSNP12 CVR0\r\nUSR 3 TWN I nobody@example.com\r\n", b"911 3\r\n")
        self.assert_closed(ns, b"VER 1 MSNP12 CVR0\r\nUSR 3 MD5 I g1@example.com\r\n", b"911 3\r\n")
        c = RawConn(ns, "half")        # half a payload, then the client goes away
        c.send(b"VER 1 MSNP12 CVR0\r\nUUX 2 50\r\n<Data>")
        c.close()
        self.assert_alive()
        reasons = [e["reason"] for e in self.server.routed(kinds=["protocol_error"])]
        self.assertTrue(any("exceeds" in r or "limit" in r for r in reasons), reasons)
        self.assertTrue(any("announces" in r or "absurd" in r for r in reasons), reasons)

    def test_sb_garbage(self):
        sb = self.server.sb_port
        self.assert_closed(sb, b"MSG 1 A 5\r\nhello", kind="sb")          # before USR
        self.assert_closed(sb, b"USR 1 g1@example.com forged.cookie\r\n", b"911 1\r\n", "sb")
        self.assert_closed(sb, b"ANS 1 g1@example.com forged 123\r\n", b"911 1\r\n", "sb")
        self.assert_closed(sb, b"MSG 1 A 999999999\r\n", kind="sb")
        self.assert_alive()

    def test_wrong_byte_count_inside_a_session(self):
        async def story():
            c = MsnClient("g1@example.com", "pw", ns_port=self.server.ns_port, login_port=self.server.login_port)
            await c.login(T)
            await c.sync(T)
            await c.set_status("NLN")
            sb = await c.open_switchboard()
            # announces 20 bytes, sends 5 and a command: the command is read as payload
            sb.link.send_raw(b"MSG 5 A 20\r\nhelloOUT\r\n")
            await asyncio.sleep(0.2)
            self.assertFalse(sb.link.eof)
            sb.link.send_raw(b"1234567890")    # completes the 20 bytes; alone: NAK
            nak = await sb.expect(lambda x: x.trid == "5")
            self.assertEqual(nak.name, "NAK")
            sb.link.send_raw(b"MSG 6 X 1\r\nx")   # unknown acknowledgement type: closed
            await sb.link.wait_closed(T)
            # the NS is untouched
            await c.ping()
            c.close()
        asyncio.run(asyncio.wait_for(story(), 20))
        self.assert_alive()

    def test_http_and_control_garbage(self):
        for port, data in ((self.server.login_port, b"\x00\x01 nonsense\r\n\r\n"),
                           (self.server.login_port, b"GET /login2.srf HTTP/1.1\r\nAuthorization: x\r\n\r\n")):
            s = socket.create_connection(("127.0.0.1", port), timeout=T)
            s.sendall(data)
            resp = s.recv(4096)
            s.close()
            self.assertTrue(resp.startswith(b"HTTP/1.1 4"), resp[:40])
        s = socket.create_connection(("127.0.0.1", self.server.control_port), timeout=T)
        s.sendall(b"not json\n[1,2]\n{\"cmd\": \"nope\"}\n")
        f = s.makefile("rb")
        for _ in range(3):
            self.assertIn(b'"ok": false', f.readline())
        f.close()
        s.close()
        self.assert_alive()


if __name__ == "__main__":
    unittest.main()
