"""End-to-end stories through the test client: two (or three) MSN users on one test
server, MSNP12 and MSNP8, presence, personal messages, chats through switchboards,
invitations, idle switchboards, errors, second logins, restarts. Every wait is bounded."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import unittest

from tests.peers.msn import wire
from tests.peers.msn.client import ConnectionClosed, LoginFailed, MsnClient, MsnError, text_payload
from tests.peers.msn.harness import MsnServer

T = 10.0
_ids = itertools.count(1)


class ServerCase(unittest.IsolatedAsyncioTestCase):
    server: MsnServer
    extra_args: list[str] = []

    @classmethod
    def setUpClass(cls):
        cls.server = MsnServer(extra_args=cls.extra_args).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def account(self, label: str, name: str | None = None) -> str:
        email = f"{label}{next(_ids)}@example.com"
        self.server.add_account(email, "pw-" + label, name or label.capitalize())
        return email

    def befriend(self, a: str, b: str) -> None:
        self.server.check("add_contact", owner=a, contact=b, lists=["FL", "AL"])
        self.server.check("add_contact", owner=b, contact=a, lists=["FL", "AL"])

    async def online(self, email: str, version: str = "MSNP12", status: str = "NLN") -> MsnClient:
        label = email.split("@")[0].rstrip("0123456789")
        c = MsnClient(email, "pw-" + label, ns_port=self.server.ns_port, login_port=self.server.login_port,
                      version=version)
        await c.login(T)
        self.addAsyncCleanup(self._close, c)
        await c.sync(T)
        await c.set_status(status)
        return c

    @staticmethod
    async def _close(c: MsnClient) -> None:
        c.close()

    async def chat(self, a: MsnClient, b: MsnClient):
        sb_a = await a.open_switchboard(b.email, T, wait_join=False)
        rng = await b.wait_ring(a.email, T)
        sb_b = await b.answer(rng, T)
        await sb_a.wait_join(b.email, T)
        return sb_a, sb_b


class PresenceTest(ServerCase):
    async def test_presence_and_personal_message_msnp12(self):
        a, b = self.account("alice", "Alice Ä"), self.account("bob")
        self.befriend(a, b)
        ca = await self.online(a)
        cb = await self.online(b)
        # A sees B arrive (NLN); B got A in its initial ILN list, followed by UBX
        nln = await ca.expect_presence(b, "NLN")
        self.assertEqual(nln.args, ["NLN", b, "Bob", "0", "%3Cmsnobj%2F%3E"])
        iln = await cb.expect_presence(a, "NLN")
        self.assertEqual(iln.name, "ILN")
        self.assertEqual(iln.args[3], "Alice%20%C3%84")
        self.assertEqual(await cb.expect_ubx(a), "")
        # personal message with accents, emoji and CJK
        psm = "en réunion ☕ 会議中 <b>&"
        await ca.set_psm(psm)
        self.assertEqual(await cb.expect_ubx(a), psm)
        # status and name changes
        await ca.set_status("BSY")
        self.assertEqual((await cb.expect_presence(a, "BSY")).args[0], "BSY")
        await ca.set_name("Alice Ü")
        nln = await cb.expect_presence(a)
        self.assertEqual(wire.url_decode_name(nln.args[2]), "Alice Ü")
        # invisible: others see FLN; back: NLN
        await ca.set_status("HDN")
        await cb.expect_presence(a, "FLN")
        await ca.set_status("NLN")
        await cb.expect_presence(a, "NLN")
        await ca.logout()
        await cb.expect_presence(a, "FLN")
        events = self.server.routed(kinds=["psm"])
        self.assertTrue(any(e["email"] == a and "会議中" in e["psm"] for e in events))

    async def test_presence_msnp8_and_msnp12_mixed(self):
        a, b = self.account("carol", "Carol"), self.account("dave", "Dave")
        self.befriend(a, b)
        ca = await self.online(a, "MSNP8")
        self.assertEqual(ca.dialect, 8)
        self.assertEqual(ca.name, "Carol")
        cb = await self.online(b, "MSNP12")
        nln = await ca.expect_presence(b, "NLN")
        self.assertEqual(nln.args, ["NLN", b, "Dave", "0"])  # MSNP8: no msnobj
        iln = await cb.expect_presence(a, "NLN")
        self.assertEqual(iln.args[1:], ["NLN", a, "Carol", "0", "%3Cmsnobj%2F%3E"])
        await cb.set_psm("hi")  # MSNP8 watchers get no UBX
        await ca.set_name("Carol C")
        self.assertEqual((await cb.expect_presence(a)).args[2], "Carol%20C")
        self.assertEqual((await ca.ping()).args, [])
        self.assertEqual((await cb.ping()).args, ["60"])
        self.assertEqual(ca.ns.pending("UBX"), [])

    async def test_blocking_hides_presence(self):
        a, b = self.account("erin"), self.account("frank")
        self.befriend(a, b)
        ca = await self.online(a)
        cb = await self.online(b)
        await cb.expect_presence(a, "NLN")
        await ca.ns.call("REM", "AL", b)
        await ca.add_contact(b, "BL")
        await cb.expect_presence(a, "FLN")
        await ca.remove_contact(b, "BL")
        await ca.add_contact(b, "AL")
        await cb.expect_presence(a, "NLN")


class ContactListTest(ServerCase):
    async def test_adc_and_rem_msnp12(self):
        a, b = self.account("gina"), self.account("hank")
        ca = await self.online(a)
        cb = await self.online(b)
        r = await ca.add_contact(b, "FL", "Hank")
        self.assertEqual(r.args[1:3], ["FL", f"N={b}"])
        self.assertTrue(r.args[4].startswith("C="))
        rl = await cb.expect(lambda c: c.name == "ADC" and c.args[:2] == ["0", "RL"])
        self.assertEqual(rl.args[2:], [f"N={a}", "F=Gina"])
        iln = await ca.expect(lambda c: c.name == "ILN" and c.args[0] == r.trid)
        self.assertEqual(iln.args[2], b)
        with self.assertRaises(MsnError) as e:
            await ca.add_contact(b, "FL")
        self.assertEqual(e.exception.code, 215)
        with self.assertRaises(MsnError) as e:
            await ca.add_contact(f"nobody{next(_ids)}@example.com", "FL")
        self.assertEqual(e.exception.code, 208)
        await ca.remove_contact(b, "FL")
        rem = await cb.expect(lambda c: c.name == "REM" and c.args[:2] == ["0", "RL"])
        self.assertEqual(rem.args[2], f"N={a}")
        with self.assertRaises(MsnError) as e:
            await ca.remove_contact(b, "FL")
        self.assertEqual(e.exception.code, 216)
        acct = self.server.check("account", email=b)
        self.assertEqual(acct["contacts"], [])

    async def test_add_and_rem_msnp8(self):
        a, b = self.account("ivy"), self.account("jack")
        ca = await self.online(a, "MSNP8")
        cb = await self.online(b, "MSNP8")
        r = await ca.add_contact(b, "FL", "Jack")
        self.assertEqual(r.args[1], "FL")
        self.assertTrue(r.args[2].isdigit())
        self.assertEqual(r.args[3:5], [b, "Jack"])
        rl = await cb.expect(lambda c: c.name == "ADD" and c.args[:2] == ["0", "RL"])
        self.assertEqual(rl.args[3:], [a, "Ivy"])
        with self.assertRaises(MsnError) as e:
            await ca.add_contact(f"nobody{next(_ids)}@example.com", "FL")
        self.assertEqual(e.exception.code, 205)
        with self.assertRaises(MsnError) as e:
            await ca.ns.call("ADD", "FL", "not-an-email", "x")
        self.assertEqual(e.exception.code, 201)
        await ca.remove_contact(b, "FL")
        rem = await cb.expect(lambda c: c.name == "REM" and c.args[:2] == ["0", "RL"])
        self.assertEqual(rem.args[3], a)
        # a fresh SYN shows the list as it is now
        await ca.sync()
        self.assertEqual(ca.contacts, {})


class SwitchboardTest(ServerCase):
    async def test_chat_both_ways_unicode_typing_nudge(self):
        a, b = self.account("kate", "Kate"), self.account("liam", "Liam")
        self.befriend(a, b)
        ca = await self.online(a)
        cb = await self.online(b, "MSNP8")
        sb_a, sb_b = await self.chat(ca, cb)
        self.assertEqual(sb_b.participants, {a: "Kate"})
        self.assertEqual(sb_a.participants, {b: "Liam"})
        for text in ("héllo àéîõü", "emoji 😀🎉👍🏽", "中文 日本語 한국어", "mixed ünï 😀 字"):
            ack = await sb_a.send_text(text)
            self.assertEqual(ack.name, "ACK")
            m = await sb_b.next_text()
            self.assertEqual((m.sender, m.name, m.text), (a, "Kate", text))
            self.assertEqual(m.headers["X-MMS-IM-Format"], "FN=Arial; EF=; CO=0; CS=0; PF=22")
            await sb_b.send_text("re: " + text)
            m = await sb_a.next_text()
            self.assertEqual((m.sender, m.text), (b, "re: " + text))
        await sb_a.send_typing()
        m = await sb_b.next_message("text/x-msmsgscontrol")
        self.assertEqual(m.headers["TypingUser"], a)
        await sb_b.send_nudge()
        m = await sb_a.next_message("text/x-msnmsgr-datacast")
        self.assertEqual(m.body, b"ID: 1\r\n\r\n")
        self.assertEqual(sb_b.link.pending("NAK"), [])
        sent = [e for e in self.server.routed(kinds=["sb_msg"]) if e["sender"] in (a, b)]
        self.assertEqual(len(sent), 10)
        self.assertIn("emoji 😀🎉👍🏽", [e["body"] for e in sent])

    async def test_message_size_limit(self):
        a, b = self.account("mia"), self.account("noah")
        self.befriend(a, b)
        ca, cb = await self.online(a), await self.online(b)
        sb_a, sb_b = await self.chat(ca, cb)
        head = len(text_payload(""))
        text = "é" * ((wire.SB_MSG_LIMIT - head) // 2) + "x" * ((wire.SB_MSG_LIMIT - head) % 2)
        self.assertEqual(len(text_payload(text)), wire.SB_MSG_LIMIT)
        self.assertEqual((await sb_a.send_text(text)).name, "ACK")
        self.assertEqual((await sb_b.next_text()).text, text)
        sb_a.link.send("MSG", sb_a.link.next_trid(), "A", payload=text_payload(text + "y"))
        await sb_a.link.wait_closed(T)            # one byte over: closed, nothing relayed
        await sb_b.expect_bye(a)
        self.assertEqual(sb_b.link.pending("MSG"), [])
        ev = self.server.routed(kinds=["sb_msg_too_long"])
        self.assertEqual(ev[-1]["length"], wire.SB_MSG_LIMIT + 1)

    async def test_ack_modes_and_leaving(self):
        a, b = self.account("olga"), self.account("paul")
        self.befriend(a, b)
        ca, cb = await self.online(a), await self.online(b)
        sb_a, sb_b = await self.chat(ca, cb)
        self.assertIsNone(await sb_a.send_text("u", "U"))
        self.assertIsNone(await sb_a.send_text("n", "N"))
        self.assertEqual((await sb_a.send_text("d", "D")).name, "ACK")
        for t in ("u", "n", "d"):
            self.assertEqual((await sb_b.next_text()).text, t)
        await sb_b.leave()
        bye = await sb_a.expect_bye(b)
        self.assertEqual(bye.args, [b])
        # alone in the session: nobody to deliver to
        self.assertEqual((await sb_a.send_text("anyone?", "A")).name, "NAK")
        trid = str(sb_a.link.next_trid())
        sb_a.link.send("MSG", trid, "N", payload=text_payload("still?"))
        nak = await sb_a.expect(lambda c: c.trid == trid)
        self.assertEqual(nak.name, "NAK")
        await asyncio.sleep(0.2)
        self.assertEqual(sb_a.link.pending("ACK"), [])

    async def test_idle_switchboard_closed_then_reopened(self):
        a, b = self.account("quin"), self.account("rosa")
        self.befriend(a, b)
        ca, cb = await self.online(a), await self.online(b)
        self.server.check("set", sb_idle_timeout=1.0)
        self.addCleanup(self.server.check, "set", sb_idle_timeout=60)
        sb_a, sb_b = await self.chat(ca, cb)
        await sb_a.send_text("hi")
        await sb_b.next_text()
        self.assertEqual((await sb_a.expect_bye(b, 5)).args, [b, "1"])
        self.assertEqual((await sb_b.expect_bye(a, 5)).args, [a, "1"])
        await sb_a.link.wait_closed(5)
        await sb_b.link.wait_closed(5)
        self.assertTrue(any(e["kind"] == "sb_idle_close" for e in self.server.routed(kinds=["sb_idle_close"])))
        # the contact must reopen a switchboard to talk again
        sb_a2, sb_b2 = await self.chat(ca, cb)
        self.assertEqual((await sb_a2.send_text("again")).name, "ACK")
        self.assertEqual((await sb_b2.next_text()).text, "again")

    async def test_cal_errors(self):
        a, b, c = self.account("sam"), self.account("tina"), self.account("ugo")
        self.befriend(a, b)
        self.befriend(a, c)
        ca = await self.online(a)
        sb = await ca.open_switchboard()
        for who, code in ((b, 217), (f"ghost{next(_ids)}@example.com", 217), ("not-an-email", 208)):
            with self.assertRaises(MsnError) as e:
                await sb.invite(who)
            self.assertEqual(e.exception.code, code, who)
        cc = await self.online(c, status="HDN")   # invisible counts as offline
        with self.assertRaises(MsnError) as e:
            await sb.invite(c)
        self.assertEqual(e.exception.code, 217)
        with self.assertRaises(MsnError) as e:
            await cc.ns.call("XFR", "SB")
        self.assertEqual(e.exception.code, 913)
        await sb.leave()

    async def test_three_party_chat(self):
        a, b, c = self.account("vera"), self.account("walt"), self.account("xena")
        self.befriend(a, b)
        self.befriend(a, c)
        ca, cb, cc = await self.online(a), await self.online(b), await self.online(c, "MSNP8")
        sb_a, sb_b = await self.chat(ca, cb)
        await sb_a.invite(c, wait_join=False)
        sb_c = await cc.answer(await cc.wait_ring(a))
        self.assertEqual(set(sb_c.participants), {a, b})
        joi = await sb_b.expect(lambda x: x.name == "JOI" and x.args[0] == c)
        self.assertEqual(joi.args, [c, "Xena", "0"])
        await sb_c.send_text("hello all")
        self.assertEqual((await sb_a.next_text()).text, "hello all")
        self.assertEqual((await sb_b.next_text()).text, "hello all")


class SessionTest(ServerCase):
    async def test_wrong_password_and_bad_ticket(self):
        a = self.account("yann")
        c = MsnClient(a, "wrong", ns_port=self.server.ns_port, login_port=self.server.login_port)
        with self.assertRaises(LoginFailed):
            await c.login(T)
        c.close()
        # a made-up ticket on the NS: 911 and the connection closes
        c = MsnClient(a, "pw-yann", ns_port=self.server.ns_port, login_port=self.server.login_port)
        await c._negotiate("127.0.0.1", self.server.ns_port, T)
        trid = str(c.ns.next_trid())
        c.ns.send("USR", trid, "TWN", "S", "t=forged&p=forged")
        err = await c.ns.expect(lambda x: x.trid == trid)
        self.assertEqual(err.name, "911")
        await c.ns.wait_closed(T)
        c.close()
        # unknown account at USR TWN I: 911 too
        c2 = MsnClient(f"nobody{next(_ids)}@example.com", "x", ns_port=self.server.ns_port,
                       login_port=self.server.login_port)
        with self.assertRaises(MsnError) as e:
            await c2.login(T)
        self.assertEqual(e.exception.code, 911)
        c2.close()

    async def test_second_login_gets_out_oth(self):
        a, b = self.account("zoe"), self.account("abel")
        self.befriend(a, b)
        first = await self.online(a)
        cb = await self.online(b)
        await cb.expect_presence(a, "NLN")
        second = await self.online(a, "MSNP8")
        out = await first.expect("OUT")
        self.assertEqual(out.args, ["OTH"])
        await first.ns.wait_closed(T)
        await cb.expect_presence(a, "FLN")
        await cb.expect_presence(a, "NLN")
        self.assertEqual([s["dialect"] for s in self.server.check("sessions")["ns"] if s["email"] == a], [8])
        # the control channel can do the same
        self.server.check("kick", email=a)
        self.assertEqual((await second.expect("OUT")).args, ["OTH"])
        await second.ns.wait_closed(T)

    async def test_challenges(self):
        a = self.account("bea")
        for version in ("MSNP12", "MSNP8"):
            c = await self.online(a, version)
            self.server.check("challenge", email=a)
            chl = await c.expect("CHL")
            qry = await c.expect(lambda x: x.name == "QRY")
            self.assertEqual(qry.args, [str(c.ns.trid)])
            self.assertEqual(c.challenges_answered, 1)
            c.close()
        c = await self.online(a)
        c.auto_challenge = False
        chl = (await self.server_challenge(a, c))
        trid = str(c.ns.next_trid())
        c.ns.send("QRY", trid, "PROD0090YUAUV{2B", payload=b"0" * 32)
        err = await c.expect(lambda x: x.trid == trid)
        self.assertEqual(err.name, "540")
        await c.ns.wait_closed(T)
        self.assertTrue(chl)

    async def server_challenge(self, email, c):
        self.server.check("challenge", email=email)
        return (await c.expect("CHL")).args[1]

    async def test_restart_ns_drops_everyone_and_listens_again(self):
        a, b = self.account("cid"), self.account("dora")
        self.befriend(a, b)
        ca, cb = await self.online(a), await self.online(b)
        sb_a, sb_b = await self.chat(ca, cb)
        r = self.server.check("restart_ns")
        self.assertEqual(r["ns_port"], self.server.ns_port)
        for link in (ca.ns, cb.ns, sb_a.link, sb_b.link):
            await link.wait_closed(T)
        self.assertEqual(self.server.check("sessions")["ns"], [])
        ca2 = await self.online(a)
        cb2 = await self.online(b)
        await ca2.expect_presence(b, "NLN")
        sb_a2, sb_b2 = await self.chat(ca2, cb2)
        self.assertEqual((await sb_a2.send_text("back")).name, "ACK")


class DispatchTest(ServerCase):
    extra_args = ["--dispatch", "--versions", "MSNP12,MSNP8"]

    async def test_dispatch_redirects_to_ns(self):
        a = self.account("eve")
        c = await self.online(a)
        self.assertEqual(c.redirected_to, ("127.0.0.1", self.server.ns2_port))
        self.assertNotEqual(self.server.ns2_port, self.server.ns_port)
        self.assertEqual(c.dialect, 12)


class ShutdownTest(unittest.IsolatedAsyncioTestCase):
    async def test_sigterm_sends_out_and_exits_zero(self):
        server = MsnServer().start()
        self.addCleanup(server.stop)
        server.add_account("fay@example.com", "pw", "Fay")
        c = MsnClient("fay@example.com", "pw", ns_port=server.ns_port, login_port=server.login_port)
        await c.login(T)
        os.kill(server.pid, signal.SIGTERM)
        out = await c.expect("OUT")
        self.assertEqual(out.args, ["SSD"])
        await c.ns.wait_closed(T)
        c.close()
        self.assertEqual(await asyncio.to_thread(server.proc.wait, T), 0)

    async def test_control_shutdown(self):
        server = MsnServer().start()
        self.addCleanup(server.stop)
        self.assertTrue(server.control("shutdown")["ok"])
        self.assertEqual(await asyncio.to_thread(server.proc.wait, T), 0)


if __name__ == "__main__":
    unittest.main()
