"""The OSCAR test server started as a subprocess on 127.0.0.1 (ports chosen by the OS,
stopped by PID), driven by the test client over the wire."""

import asyncio
import itertools
import shutil
import socket
import struct
import tempfile
import unittest

from tests.peers.oscar import wire
from tests.peers.oscar.client import Disconnected, LoginError, OscarClient, SnacError
from tests.peers.oscar.harness import HOST, OscarServerProc

TEST_TIMEOUT = 10.0
_names = itertools.count(1)


def run(coro, timeout: float = TEST_TIMEOUT):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def poll(predicate, what: str, timeout: float = 5.0, interval: float = 0.02):
    """Waits for a condition spanning several clients."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


class ServerCase(unittest.TestCase):
    extra_args: list = []

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="oscar-server-test-")
        cls.srv = OscarServerProc(cls.tmp, extra_args=cls.extra_args).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, f"server exit code {rc}"

    def tearDown(self):
        self.assertTrue(self.srv.running(), "the server died:\n" + self.srv.log_text()[-3000:])

    def account(self, prefix="user", password="pw", icq=False, auth_required=False) -> str:
        n = next(_names)
        sn = str(700000000 + n) if icq else f"{prefix} {n}"
        self.srv.control("create_account", screen_name=sn, password=password, auth_required=auth_required)
        return sn

    def client(self, sn, password="pw", **kw) -> OscarClient:
        return OscarClient(sn, password, HOST, self.srv.auth_port, **kw)

    async def pair(self, a_kw=None, b_kw=None, icq=False):
        """Two signed-on clients with each other on their SSI lists, both seen online."""
        a = await self.client(self.account("Ann", icq=icq), **(a_kw or {})).login()
        b = await self.client(self.account("Ben", icq=icq), **(b_kw or {})).login()
        self.assertEqual(await a.add_buddy(b.screen_name), 0)
        self.assertEqual(await b.add_buddy(a.screen_name), 0)
        await a.wait_buddy(b.screen_name)
        await b.wait_buddy(a.screen_name)
        return a, b


class LoginTest(ServerCase):
    def test_aim_weak_and_strong_md5_and_icq_roast(self):
        async def go():
            sn = self.account("Weak Hash")
            weak = await self.client(sn.upper(), login="md5-weak").login()
            self.assertEqual(wire.normalize_sn(weak.self_info.screen_name), wire.normalize_sn(sn))
            self.assertFalse(weak.self_info.user_class & wire.CLASS_ICQ)
            strong = await self.client(self.account("Strong Hash"), login="md5-strong").login()
            uin = self.account(icq=True)
            icq = await self.client(uin, login="roast").login()
            self.assertTrue(icq.self_info.user_class & wire.CLASS_ICQ)
            self.assertEqual(icq.self_info.icq_status, wire.ICQ_ONLINE)
            for c in (weak, strong, icq):
                await c.close()
        run(go())
        methods = {e["method"] for e in self.srv.events("login") if e["result"] == "ok"}
        self.assertTrue({"md5-weak", "md5-strong", "roast"} <= methods)

    def test_wrong_password_and_unregistered(self):
        async def go():
            sn = self.account("Wrong Pw")
            uin = self.account(icq=True)
            for method, who, code in (("md5-strong", sn, wire.LOGIN_ERR_MISMATCH),
                                      ("md5-weak", sn, wire.LOGIN_ERR_MISMATCH),
                                      ("roast", uin, wire.LOGIN_ERR_BAD_PASSWORD),
                                      ("md5-strong", "nobody here", wire.LOGIN_ERR_INVALID_SN),
                                      ("roast", "999999999", wire.LOGIN_ERR_INVALID_SN)):
                with self.subTest(method=method, who=who):
                    with self.assertRaises(LoginError) as cm:
                        await self.client(who, "not-the-password", login=method).login()
                    self.assertEqual(cm.exception.code, code)
        run(go())

    def test_duplicate_login_kicks_first_with_code_1(self):
        async def go():
            sn = self.account("Twice")
            first = await self.client(sn).login()
            second = await self.client(sn).login()
            self.assertEqual(await first.wait_closed(), wire.DISCONNECT_OTHER_LOCATION)
            self.assertFalse(second.closed.is_set())
            online = [o["norm"] for o in self.srv.control("online")["online"]]
            self.assertEqual(online.count(wire.normalize_sn(sn)), 1)
            await first.close()
            await second.close()
        run(go())

    def test_control_created_account_and_kick(self):
        async def go():
            a, b = await self.pair()
            self.assertTrue(self.srv.control("kick", screen_name=a.screen_name, code=0x0002)["kicked"])
            self.assertEqual(await a.wait_closed(), 0x0002)
            await b.wait_departure(a.screen_name)
            await a.close()
            await b.close()
        run(go())


class MessagingTest(ServerCase):
    def test_arrival_info_and_departure(self):
        async def go():
            a, b = await self.pair()
            info = b.buddies[a.norm]
            self.assertEqual(info.user_class & wire.CLASS_FREE, wire.CLASS_FREE)
            self.assertFalse(info.away)
            self.assertGreater(info.online_since, 1_000_000_000)
            await a.close()
            await b.wait_departure(a.screen_name)
            await b.close()
        run(go())

    def test_ims_in_three_charsets_with_host_ack(self):
        texts = [("plain ascii", wire.CHARSET_ASCII), ("Zoé à l'été, ça va ?", wire.CHARSET_LATIN1),
                 ("emoji 😀🎉", wire.CHARSET_UCS2BE), ("中文 日本語 한국어", wire.CHARSET_UCS2BE),
                 ("ünïcödé forced", wire.CHARSET_UCS2BE)]

        async def go():
            a, b = await self.pair()
            for text, cs in texts:
                forced = cs if "forced" in text else None
                await a.send_im(b.screen_name, text, charset=forced)
                im = await b.wait_im(a.screen_name)
                self.assertEqual((im.text, im.charset), (text, cs))
                self.assertEqual(wire.normalize_sn(im.info.screen_name), a.norm)
            await b.send_im(a.screen_name, "réponse", ack=False)
            self.assertEqual((await a.wait_im(b.screen_name)).text, "réponse")
            await a.close()
            await b.close()
        run(go())
        routed = [e for e in self.srv.events("icbm") if e["result"] == "delivered"]
        self.assertTrue({t for t, _ in texts} <= {e["text"] for e in routed})
        # the frames the server routed, as sent on the wire
        frames = self.srv.control("frames", family=wire.ICBM, subtype=0x0007, dir="out")["frames"]
        self.assertTrue(any("中文 日本語".encode("utf-16-be").hex() in f["hex"] for f in frames))

    def test_im_to_offline_aim_user_is_an_error(self):
        async def go():
            a = await self.client(self.account("Lonely")).login()
            offline = self.account("Gone Away")
            with self.assertRaises(SnacError) as cm:
                await a.send_im(offline, "are you there?", offline=True)
            self.assertEqual((cm.exception.family, cm.exception.code), (wire.ICBM, wire.ERR_NOT_LOGGED_ON))
            await a.close()
        run(go())

    def test_typing_notifications(self):
        async def go():
            a, b = await self.pair()
            for ev in (wire.TYPING_BEGUN, wire.TYPING_TYPED, wire.TYPING_DONE):
                await a.typing_notify(b.screen_name, ev)
            await b.wait_for(lambda: len(b.typing) >= 3, what="typing")
            self.assertEqual(b.typing, [(a.norm, 2), (a.norm, 1), (a.norm, 0)])
            await a.close()
            await b.close()
        run(go())

    def test_away_message(self):
        async def go():
            a, b = await self.pair()
            await a.set_away("Gone fishing — back at 5")
            await b.wait_buddy(a.screen_name, lambda i: i.away)
            info, tlvs = await b.get_info(a.screen_name)
            self.assertTrue(info.away)
            self.assertEqual(tlvs[4].decode(), "Gone fishing — back at 5")
            self.assertIn(b"text/aolrtf", tlvs[3])
            await a.set_away("")
            await b.wait_buddy(a.screen_name, lambda i: not i.away)
            await a.close()
            await b.close()
        run(go())

    def test_ssi_add_remove(self):
        async def go():
            a = await self.client(self.account("Lister")).login()
            c = await self.client(self.account("Listed")).login()
            self.assertEqual(await a.add_buddy(c.screen_name, alias="Cé"), wire.SSI_OK)
            await a.wait_buddy(c.screen_name)
            items = self.srv.control("feedbag", screen_name=a.screen_name)["items"]
            self.assertIn(c.norm, [wire.normalize_sn(i["name"]) for i in items if i["class"] == 0])
            dup = a._ssi_find(wire.SSI_BUDDY, c.screen_name)
            self.assertEqual(await a._ssi_op(0x0008, [dup]), [wire.SSI_EXISTS])
            # a second login sees the stored list
            await a.close()
            a2 = await self.client(a.screen_name).login()
            self.assertIn(c.norm, [wire.normalize_sn(i.name) for i in a2.ssi_items if i.cls == 0])
            await a2.wait_buddy(c.screen_name)
            self.assertEqual(await a2.remove_buddy(c.screen_name), wire.SSI_OK)
            await a2.wait_departure(c.screen_name)
            items = self.srv.control("feedbag", screen_name=a.screen_name)["items"]
            self.assertNotIn(c.norm, [wire.normalize_sn(i["name"]) for i in items if i["class"] == 0])
            self.assertEqual(await a2.remove_buddy(c.screen_name), wire.SSI_NOT_FOUND)
            await a2.close()
            await c.close()
        run(go())


class WarningTest(ServerCase):
    def test_warn_named_and_anonymous(self):
        async def go():
            a, b = await self.pair()
            stranger = await self.client(self.account("Stranger")).login()
            # b may only warn someone who recently sent b a message
            with self.assertRaises(SnacError) as cm:
                await b.warn(a.screen_name)
            self.assertEqual((cm.exception.family, cm.exception.code), (wire.ICBM, wire.ERR_REQUEST_DENIED))
            await a.send_im(b.screen_name, "you smell")
            await b.wait_im(a.screen_name)
            # named: +15%, a hears who did it
            self.assertEqual(await b.warn(a.screen_name), (150, 150))
            level, warner = await a.wait_warning()
            self.assertEqual((level, wire.normalize_sn(warner)), (150, b.norm))
            # anonymous: +3%, no user info after the level
            self.assertEqual(await b.warn(a.screen_name, anonymous=True), (30, 180))
            self.assertEqual(await a.wait_warning(), (180, None))
            # the new level shows in a's user info: to b's buddy list, to a itself
            await b.wait_buddy(a.screen_name, lambda i: i.warning == 180)
            self.assertEqual(wire.decode_user_info(wire.Reader((await a.request(wire.OSERVICE, 0x000E)).data)).warning,
                             180)
            # someone who never wrote to the stranger cannot be warned by them; nor oneself
            for warner, target in ((stranger, a.screen_name), (a, a.screen_name)):
                with self.assertRaises(SnacError) as cm:
                    await warner.warn(target)
                self.assertEqual(cm.exception.code, wire.ERR_REQUEST_DENIED)
            # a recipient whose ICBM parameters accept senders up to 10% refuses a at 18%...
            await b.set_icbm_params(max_sender_warn=100)
            with self.assertRaises(SnacError) as cm:
                await a.send_im(b.screen_name, "still here")
            self.assertEqual((cm.exception.family, cm.exception.code), (wire.ICBM, wire.ERR_SENDER_TOO_EVIL))
            # ...and a sender who writes only to recipients up to 10% cannot reach a
            await stranger.set_icbm_params(max_receiver_warn=100)
            with self.assertRaises(SnacError) as cm:
                await stranger.send_im(a.screen_name, "hello?")
            self.assertEqual(cm.exception.code, wire.ERR_RECEIVER_TOO_EVIL)
            await stranger.set_icbm_params(max_receiver_warn=999)
            await stranger.send_im(a.screen_name, "hello!")
            self.assertEqual((await a.wait_im(stranger.screen_name)).text, "hello!")
            for c in (a, b, stranger):
                await c.close()
            # a signed off: not logged on
            b2 = await self.client(b.screen_name).login()
            with self.assertRaises(SnacError) as cm:
                await b2.warn(a.screen_name)
            self.assertEqual(cm.exception.code, wire.ERR_NOT_LOGGED_ON)
            await b2.close()
            return a
        a = run(go())
        # the wire: 0x0010 anonymous is the level word alone, named carries b's user info
        notes = self.srv.control("frames", user=a.screen_name, family=wire.OSERVICE, subtype=0x0010, dir="out")["frames"]
        self.assertEqual([f["hex"][20:24] for f in notes], ["0096", "00b4"])
        self.assertEqual(len(notes[1]["hex"]), 24)
        self.assertGreater(len(notes[0]["hex"]), 24)
        oks = [(e["anonymous"], e["delta"], e["level"]) for e in self.srv.events("warn") if e["result"] == "ok"]
        self.assertEqual(oks, [(False, 150, 150), (True, 30, 180)])
        accts = {x["norm"]: x for x in self.srv.control("accounts")["accounts"]}
        self.assertEqual(accts[a.norm]["warning"], 180)
        refused = {e["result"] for e in self.srv.events("icbm", user=a.screen_name)}
        self.assertTrue({"sender_too_evil", "receiver_too_evil", "delivered"} <= refused, refused)

    def test_icq_users_cannot_be_warned(self):
        async def go():
            a, b = await self.pair(icq=True)
            await a.send_im(b.screen_name, "hi")
            await b.wait_im(a.screen_name)
            with self.assertRaises(SnacError) as cm:
                await b.warn(a.screen_name)
            self.assertEqual(cm.exception.code, wire.ERR_NOT_SUPPORTED_BY_HOST)
            self.assertEqual(a.warnings, [])
            await a.close()
            await b.close()
        run(go())


class IcqTest(ServerCase):
    def test_status_change_and_invisible(self):
        async def go():
            a, b = await self.pair(icq=True)
            self.assertEqual(b.buddies[a.norm].icq_status, wire.ICQ_ONLINE)
            await a.set_status(0x10000000 | wire.ICQ_DND | wire.ICQ_OCCUPIED | wire.ICQ_AWAY)  # DND as clients send it
            info = await b.wait_buddy(a.screen_name, lambda i: ((i.icq_status or 0) & 0xFFFF) == 0x0013)
            self.assertEqual(info.icq_status, 0x10000013)
            self.assertTrue(info.away)
            self.assertEqual(a.self_info.icq_status, 0x10000013)
            await a.set_status(wire.ICQ_INVISIBLE)
            await b.wait_departure(a.screen_name)
            await a.set_status(wire.ICQ_FFC)
            info = await b.wait_buddy(a.screen_name)
            self.assertEqual(info.icq_status, wire.ICQ_FFC)
            await a.close()
            await b.close()
        run(go())

    def test_offline_message_stored_and_fetched(self):
        async def go():
            sender = await self.client(self.account(icq=True), login="roast").login()
            target = self.account(icq=True)
            await sender.send_im(target, "message hors ligne — 你好", offline=True)
            stored = self.srv.control("offline", screen_name=target)["messages"]
            self.assertEqual(stored, [{"from": sender.norm, "text": "message hors ligne — 你好"}])
            t = await self.client(target, login="roast").login()
            msgs = await t.fetch_offline()
            self.assertEqual(len(msgs), 1)
            self.assertEqual((str(msgs[0].sender_uin), msgs[0].text.decode("utf-8"), msgs[0].msg_type),
                             (sender.norm, "message hors ligne — 你好", 1))
            self.assertGreaterEqual(msgs[0].year, 2024)
            self.assertEqual(len(await t.fetch_offline()), 1)  # kept until deleted
            await t.delete_offline()
            self.assertEqual(await t.fetch_offline(), [])
            await sender.close()
            await t.close()
        run(go())

    def test_authorization_request_and_reply(self):
        async def go():
            asker = await self.client(self.account(icq=True)).login()
            shy_uin = self.account(icq=True, auth_required=True)
            shy = await self.client(shy_uin).login()
            self.assertEqual(await asker.add_buddy(shy_uin), wire.SSI_NEED_AUTH)
            self.assertEqual(await asker.add_buddy(shy_uin, awaiting_auth=True), wire.SSI_OK)
            await shy.wait_for(lambda: asker.screen_name in shy.added_by, what="'you were added'")
            await asyncio.sleep(0.2)
            self.assertNotIn(shy.norm, asker.buddies)  # not authorized yet: no presence
            await asker.auth_request(shy_uin, "please add me — merci")
            await shy.wait_for(lambda: shy.auth_requests, what="auth request")
            self.assertEqual(shy.auth_requests[0], (asker.screen_name, "please add me — merci"))
            await shy.auth_reply(asker.screen_name, True, "ok")
            await asker.wait_for(lambda: asker.auth_replies, what="auth reply")
            self.assertEqual(asker.auth_replies[0], (shy_uin, True, "ok"))
            await asker.wait_buddy(shy_uin)
            self.assertEqual(await asker.clear_awaiting_auth(shy_uin), wire.SSI_OK)
            # a declined request is relayed as such
            other = await self.client(self.account(icq=True)).login()
            await other.auth_request(shy_uin, "me too")
            await shy.wait_for(lambda: len(shy.auth_requests) == 2, what="second auth request")
            await shy.auth_reply(other.screen_name, False, "no")
            await other.wait_for(lambda: other.auth_replies, what="declined reply")
            self.assertEqual(other.auth_replies[0], (shy_uin, False, "no"))
            for c in (asker, shy, other):
                await c.close()
        run(go())


class RateLimitTest(ServerCase):
    extra_args = ["--icbm-rate", "20,5100,5000,4000,3000,6000"]
    TIGHT = dict(window=10, clear=300, alert=250, limit=200, disconnect=50, max=500)

    def test_warning_then_drop_and_paced_client_gets_through(self):
        async def go():
            a = await self.client(self.account("Flooder"), pace=False).login()
            p = await self.client(self.account("Pacer")).login()
            b = await self.client(self.account("Target")).login()
            cls = self.srv.control("set_rate_class", class_id=3, reset=True, **self.TIGHT)["rate_class"]
            self.assertEqual(cls["window"], 10)
            for c in (a, p):
                await c.wait_for(lambda c=c: any(code == wire.RATE_CODE_CHANGED and k.id == 3 and k.clear == 300
                                                 for code, k in c.rate_notes), what="rate change notice")
            # a burst of 12 with no pacing: warning, then limited and dropped with error 0x0002
            for i in range(12):
                await a.send_im(b.screen_name, f"burst {i}", ack=False)
            await a.wait_for(lambda: any(f == wire.ICBM and code == wire.ERR_RATE_TO_HOST for f, code, _ in a.errors),
                             what="rate error")
            codes = [code for code, k in a.rate_notes if k.id == 3]
            self.assertIn(wire.RATE_CODE_WARNING, codes)
            self.assertIn(wire.RATE_CODE_LIMITED, codes)
            self.assertLess(codes.index(wire.RATE_CODE_WARNING), codes.index(wire.RATE_CODE_LIMITED))
            def drops():
                return sum(1 for f, code, _ in a.errors if code == wire.ERR_RATE_TO_HOST)
            await poll(lambda: len(b.ims) + drops() == 12, "every burst IM delivered or dropped")
            self.assertGreater(drops(), 0)
            self.assertEqual(sorted(int(m.text.split()[1]) for m in b.ims), list(range(12 - drops())))
            self.assertFalse(a.closed.is_set())
            # a client pacing itself at the advertised rate gets everything through
            for i in range(10):
                await p.send_im(b.screen_name, f"paced {i}", ack=False)
            await b.wait_for(lambda: sum(1 for m in b.ims if m.text.startswith("paced")) == 10, what="paced IMs")
            self.assertEqual([e for e in p.errors if e[1] == wire.ERR_RATE_TO_HOST], [])
            self.assertNotIn(wire.RATE_CODE_LIMITED, [code for code, k in p.rate_notes])
            # the flooder keeps going without pause and is disconnected
            a.errors.clear()
            try:
                for i in range(40):
                    await a.send_im(b.screen_name, "more", ack=False)
                    await asyncio.sleep(0)
            except (Disconnected, ConnectionError):
                pass
            await a.wait_closed()
            for c in (p, b):
                await c.close()
        run(go())
        kinds = {e["kind"] for e in self.srv.events(["rate_warning", "rate_drop", "rate_disconnect"])}
        self.assertEqual(kinds, {"rate_warning", "rate_drop", "rate_disconnect"})

    def test_rate_params_advertised(self):
        async def go():
            c = await self.client(self.account("Reader")).login()
            self.assertIn(3, c.rate_classes)
            self.assertEqual(c.rate_members[(wire.ICBM, 0x0006)], 3)
            self.assertEqual(c.rate_members[(wire.OSERVICE, 0x0002)], 1)
            listed = {k["id"]: k for k in self.srv.control("rate_classes")["rate_classes"]}
            self.assertEqual(set(listed), set(c.rate_classes))
            await c.close()
        run(go())


class RobustnessTest(ServerCase):
    extra_args = ["--max-frame", "4096"]

    def raw(self, port, data: bytes, expect_close=True) -> bytes:
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(data)
            got = b""
            s.settimeout(5)
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    self.fail("the server did not close the connection")
                if not chunk:
                    return got
                got += chunk

    def test_garbage_oversize_and_truncated_snac(self):
        async def go():
            a, b = await self.pair()
            hello = wire.encode_flap(1, 1, wire.FLAP_VERSION)
            # garbage bytes, on both services
            self.raw(self.srv.bos_port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.raw(self.srv.auth_port, bytes(range(256)))
            # an oversize frame header
            self.raw(self.srv.auth_port, hello + struct.pack(">BBHH", 0x2A, 2, 2, 60000) + b"x" * 100)
            # a truncated SNAC (shorter than its header) after the hello
            self.raw(self.srv.auth_port, hello + wire.encode_flap(2, 2, b"\x00\x17\x00"))
            # a BOS frame before sign-on and a bad cookie
            self.raw(self.srv.bos_port, wire.encode_flap(2, 1, wire.encode_snac(1, 2)))
            self.raw(self.srv.bos_port, wire.encode_flap(1, 1, wire.FLAP_VERSION + wire.tlv(6, b"forged")))
            # a signed-on client sending a busted SNAC body gets error 0x000E and stays on
            with self.assertRaises(SnacError) as cm:
                await a.request(wire.ICBM, 0x0006, b"\x01\x02\x03")
            self.assertEqual(cm.exception.code, wire.ERR_BUSTED_SNAC_PAYLOAD)
            with self.assertRaises(SnacError) as cm:
                await a.request(0x0042, 0x0001)
            self.assertEqual(cm.exception.code, wire.ERR_SERVICE_NOT_DEFINED)
            await a.keepalive()
            await a.send_im(b.screen_name, "still here")
            self.assertEqual((await b.wait_im(a.screen_name)).text, "still here")
            await a.close()
            await b.close()
        run(go())
        log = self.srv.log_text()
        self.assertIn("bad FLAP start byte", log)
        self.assertIn("exceeds the limit of 4096", log)
        self.assertIn("SNAC: need", log)
        self.assertIn("invalid or expired login cookie", log)

    def test_stop_and_restart_listening(self):
        async def go():
            a, b = await self.pair()
            self.srv.control("stop_listening")
            with self.assertRaises(OSError):
                socket.create_connection((HOST, self.srv.auth_port), timeout=2).close()
            await a.send_im(b.screen_name, "established sessions stay up")
            await b.wait_im(a.screen_name)
            ports = self.srv.control("start_listening")["ports"]
            self.assertEqual((ports["auth_port"], ports["bos_port"]), (self.srv.auth_port, self.srv.bos_port))
            c = await self.client(self.account("Late Comer")).login()
            self.srv.control("stop_listening", drop_sessions=True)
            for x in (a, b, c):
                await x.wait_closed()
            self.srv.control("start_listening")
        run(go())


if __name__ == "__main__":
    unittest.main()
