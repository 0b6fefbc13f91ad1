"""The MSN connector end to end: the daemon between Prosody (the bridge user alice, with
slixmpp) and the in-tree MSNP test server (tests/peers/msn), where alice's linked MSN
account t1e@example.com has the contact bob, t2e@example.com, driven by the test
server's client. Everything on 127.0.0.1.

    /usr/bin/python3 -m unittest tests.integration.test_msn_connector -v
"""

import os
import re
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lib import certs  # noqa: E402
from lib.bridge import Bridge, smsc_table  # noqa: E402
from lib.msn_peer import MsnContact, MsnServer  # noqa: E402
from lib.procs import HarnessTestCase, wait_until  # noqa: E402
from lib.smsc import Smsc  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
from lib.require import skip_unless  # noqa: E402

DOMAIN = "example.org"
MSN = f"msn.{DOMAIN}"
SECRET = "component-secret"
ALICE_PW = "alice-pw"
ACCOUNT = "t1e@example.com"  # alice's linked MSN account
BOB = "t2e@example.com"      # her MSN contact
BOB_JID = "t2e\\40example.com@" + MSN
ALICE_PHONE = "+33611111111"
BOB_PHONE = "+33622222222"
SENDER = "+33700000001"
CAROL = "t3e@example.com"
GATEWAY = "sms@example.com"  # the bridge's own MSN account to phones
PHONE = "+33633333333"


@skip_unless(Bridge.binary_available() and os.access("/usr/bin/prosody", os.X_OK),
                     "needs the passerelle binary and Prosody")
class MsnConnector(HarnessTestCase):
    versions = "MSNP12,MSNP11,MSNP10,MSNP9,MSNP8"

    def setUp(self):
        super().setUp()
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=("msn",), secret=SECRET)
        self.prosody.write_config()
        self.prosody.register("alice", ALICE_PW)
        self.prosody.start()
        self.addCleanup(self.prosody.stop)

    # -- helpers -----------------------------------------------------------------------

    def msn_server(self, *args):
        (self.tmp / "msn").mkdir(exist_ok=True)
        srv = MsnServer(extra_args=["--versions", self.versions, *args], workdir=str(self.tmp / "msn"))
        srv.start()
        self.addCleanup(srv.stop)
        srv.add_account(ACCOUNT, "123456", "Alice")
        srv.add_account(BOB, "123456", "Bob")
        srv.check("add_contact", owner=ACCOUNT, contact=BOB, lists=["FL", "AL"])
        srv.check("add_contact", owner=BOB, contact=ACCOUNT, lists=["FL", "AL"])
        return srv

    def bridge(self, srv, *, password="123456", idle_s=300, max_version="MSNP12", start=True,
               smsc=None, people=(), login_url=None, login_ca_file=None, gateway=False):
        config = {
            "xmpp": {"enabled": True, "component_host": "127.0.0.1",
                     "component_port": self.prosody.component_port, "secret": SECRET,
                     "networks": ["msn"], "reconnect_initial_ms": 200, "reconnect_max_ms": 1000},
            "msn": {"enabled": True, "host": "127.0.0.1", "port": srv.ns_port,
                    "login_url": login_url or f"http://127.0.0.1:{srv.login_port}/rdr/pprdr.asp",
                    "login_ca_file": str(login_ca_file) if login_ca_file else None,
                    "max_version": max_version, "switchboard_idle_s": idle_s,
                    "reconnect_initial_ms": 300, "reconnect_max_ms": 2000, "login_interval_ms": 10,
                    "accounts": [{"login": ACCOUNT, "password": password, "person": "alice"}]},
            "people": [{"name": "alice", "phone": ALICE_PHONE, "addresses": [f"xmpp:alice@{DOMAIN}"]},
                       *people],
        }
        if smsc is not None:
            config["sms"] = {"enabled": True, "sender_numbers": [SENDER],
                             "smsc": [smsc_table("primary", smsc.port, reconnect_initial_ms=200,
                                                 reconnect_max_ms=1000, enquire_link_s=5)]}
        if gateway:
            config["msn"]["accounts"].append({"login": GATEWAY, "password": "123456",
                                              "gateway": True, "allow": [BOB]})
        b = Bridge(self.tmp, config)
        self.addCleanup(b.stop)
        if start:
            b.start()
        return b

    def msn_state(self, b):
        for c in b.get_json("/readyz")["connectors"]:
            if c["name"] == "msn":
                return c
        return None

    def wait_msn(self, b, state, timeout=20, detail=None):
        def ok():
            c = self.msn_state(b)
            return c and c["state"] == state and (detail is None or detail in c["detail"])
        wait_until(ok, timeout=timeout, message=f"msn {state} on /readyz ({detail or ''})")
        return self.msn_state(b)

    def wait_ready(self, b, timeout=20):
        def up():
            doc = b.get_json("/readyz")
            return doc.get("ready") and all(c["state"] == "up" for c in doc["connectors"])
        wait_until(up, timeout=timeout, message="every connector up on /readyz")

    def alice(self):
        u = XmppUser(f"alice@{DOMAIN}", ALICE_PW, self.prosody.c2s_port)
        u.start()
        self.addCleanup(u.stop)
        return u

    def bob(self, srv, status="NLN"):
        c = MsnContact(srv, BOB, versions=self.versions.split(","))
        self.addCleanup(c.stop)
        c.login(status)
        return c

    def answer_ring(self, bob):
        rng = bob.run(bob.client.wait_ring(ACCOUNT, timeout=15))
        return bob.run(bob.client.answer(rng))

    # -- 1. chat both ways, presence, typing -------------------------------------------

    def chat_both_ways(self):
        srv = self.msn_server()
        b = self.bridge(srv)
        self.wait_ready(b)
        alice = self.alice()
        # Bob signs in once the bridge and alice are there: his NLN (and UBX) reach the
        # bridge's account and go on to alice.
        bob = self.bob(srv)
        if "MSNP12" in self.versions:  # personal messages exist from MSNP11
            bob.run(bob.client.set_psm("au café ☕"))

        # Bob's presence (and personal message, MSNP11+) reaches alice from his puppet.
        def bob_online(s):
            return s.bare_from == BOB_JID and s.type in ("", "available")
        alice.wait_presence(bob_online, timeout=20)
        if "MSNP12" in self.versions:
            alice.wait_presence(lambda s: bob_online(s) and "au café ☕" in ET_status(s), timeout=20)

        # alice → bob: the bridge opens a switchboard and rings bob.
        text = "Bonjour Bob ! é à ü 👋 日本語のテキスト"
        alice.send_message(BOB_JID, text)
        sb = self.answer_ring(bob)
        msg = bob.run(sb.next_text(timeout=15))
        self.assertEqual(msg.body.decode() if isinstance(msg.body, bytes) else msg.body, text)
        self.assertEqual(msg.sender, ACCOUNT)

        # A receipt request: the contact's client ACKs the MSG, alice gets a receipt.
        sid = alice.send_message(BOB_JID, "accusé de réception ?", receipt=True)
        self.assertEqual(bob.run(sb.next_text(timeout=15)).body.decode(), "accusé de réception ?")
        alice.wait_receipt(sid, timeout=15)

        # bob → alice on the same switchboard.
        reply = "Salut Alice — ça va ? 😀 中文"
        ack = bob.run(sb.send_text(reply))
        self.assertEqual(ack.name, "ACK")
        got = alice.wait_message(lambda s: s.body == reply, timeout=15)
        self.assertEqual(got.bare_from, BOB_JID)

        # Typing both ways: bob's notice shows as composing (then paused), alice's as a
        # text/x-msmsgscontrol MSG.
        since = time.monotonic()
        bob.run(sb.send_typing())
        alice.wait_chat_state("composing", timeout=10, since=since)
        alice.wait_chat_state("paused", timeout=15, since=since)
        alice.send_chat_state(BOB_JID, "composing")
        typing = bob.run(sb.next_message("text/x-msmsgscontrol", timeout=15))
        self.assertEqual(typing.headers.get("TypingUser"), ACCOUNT)
        # MSN clients forget a typing notice after a few seconds: while alice is still
        # composing, the bridge repeats it.
        bob.run(sb.next_message("text/x-msmsgscontrol", timeout=8))
        alice.send_chat_state(BOB_JID, "paused")

        # Bob's status change reaches alice as away.
        bob.run(bob.client.set_status("AWY"))
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and ET_show(s) == "away", timeout=15)
        return srv, b, alice, bob, sb

    def test_chat_both_ways(self):
        self.chat_both_ways()

    # -- 2. size limit ---------------------------------------------------------------------

    def test_long_message_split_into_several_msg(self):
        srv = self.msn_server()
        b = self.bridge(srv)
        self.wait_ready(b)
        alice = self.alice()
        bob = self.bob(srv)
        alice.wait_presence(lambda s: s.bare_from == BOB_JID, timeout=20)
        # 1400 characters of 2-byte UTF-8: 2800 bytes, over one MSG's 1664-byte payload.
        text = ("é" * 99 + " ") * 14
        alice.send_message(BOB_JID, text)
        sb = self.answer_ring(bob)
        parts = [bob.run(sb.next_text(timeout=15))]
        joined = parts[0].body.decode()
        while len(joined.encode()) < len(text.encode()):
            parts.append(bob.run(sb.next_text(timeout=15)))
            joined += parts[-1].body.decode()
        self.assertEqual(joined, text)
        self.assertGreaterEqual(len(parts), 2)
        msgs = srv.routed(kinds=["sb_msg", "sb_msg_too_long"])
        self.assertFalse([m for m in msgs if m["kind"] == "sb_msg_too_long"], msgs)
        self.assertTrue(all(m["length"] <= 1664 for m in msgs if m["kind"] == "sb_msg"), msgs)

    # -- 3. RNG, idle switchboard, contact leaving ------------------------------------------

    def test_invitation_idle_close_and_contact_leaving(self):
        srv = self.msn_server()
        b = self.bridge(srv, idle_s=2)
        self.wait_ready(b)
        alice = self.alice()
        bob = self.bob(srv)
        alice.wait_presence(lambda s: s.bare_from == BOB_JID, timeout=20)

        # Bob opens the chat: the bridge answers the RNG and relays.
        sb = bob.run(bob.client.open_switchboard(ACCOUNT))
        bob.run(sb.send_text("tu es là ?"))
        alice.wait_message(lambda s: s.body == "tu es là ?" and s.bare_from == BOB_JID, timeout=15)

        # Nobody writes for switchboard_idle_s: the bridge leaves (OUT → BYE to bob).
        bob.run(sb.expect_bye(ACCOUNT, timeout=15))
        bob.run(sb.leave())

        # The next message opens a new switchboard.
        alice.send_message(BOB_JID, "encore moi")
        sb2 = self.answer_ring(bob)
        self.assertEqual(bob.run(sb2.next_text(timeout=15)).body.decode(), "encore moi")

        # Bob leaves mid-conversation; alice's next message reaches him on a new one.
        bob.run(sb2.leave())
        time.sleep(0.5)
        alice.send_message(BOB_JID, "tu es parti ?")
        sb3 = self.answer_ring(bob)
        self.assertEqual(bob.run(sb3.next_text(timeout=15)).body.decode(), "tu es parti ?")

    # -- 4. own presence, nudges, contact requests --------------------------------------

    def test_own_presence_nudge_and_contact_request(self):
        srv = self.msn_server()
        srv.add_account(CAROL, "123456", "Carol")
        b = self.bridge(srv)
        self.wait_ready(b)
        alice = self.alice()
        bob = self.bob(srv)
        alice.wait_presence(lambda s: s.bare_from == BOB_JID, timeout=20)

        # alice goes away with a status text: her MSN account shows AWY and the text as
        # personal message. (Presence to the puppet: her roster has no puppets here, so
        # the component only sees directed presence.)
        alice.send_raw(f"<presence to='{BOB_JID}'><show>away</show><status>en réunion</status></presence>")

        def account_session():
            for sess in srv.check("sessions")["ns"]:
                if sess.get("email") == ACCOUNT:
                    return sess
            return {}
        wait_until(lambda: account_session().get("status") == "AWY"
                   and account_session().get("psm") == "en réunion",
                   timeout=15, message=f"AWY + personal message on {ACCOUNT}")

        # A nudge shows as text.
        sb = bob.run(bob.client.open_switchboard(ACCOUNT))
        bob.run(sb.send_nudge())
        alice.wait_message(lambda s: s.body == "*nudge*" and s.bare_from == BOB_JID, timeout=15)

        # carol adds alice's account: alice's client gets a subscription request from
        # carol's puppet.
        carol = MsnContact(srv, CAROL, versions=self.versions.split(","))
        self.addCleanup(carol.stop)
        carol.login()
        carol.run(carol.client.add_contact(ACCOUNT))
        alice.wait_presence(lambda s: s.type == "subscribe"
                            and s.bare_from == "t3e\\40example.com@" + MSN, timeout=15)

    # -- 5. the offline rules by SMS --------------------------------------------------------

    def smsc(self):
        s = Smsc(self.tmp, name="smsc", receipts=True)
        s.start()
        self.addCleanup(s.stop)
        return s

    def test_offline_contact_gets_the_message_by_sms(self):
        srv = self.msn_server()
        smsc = self.smsc()
        b = self.bridge(srv, smsc=smsc, people=[{"name": "bob", "phone": BOB_PHONE,
                                                 "addresses": [f"msn:{BOB}"]}])
        self.wait_ready(b)
        alice = self.alice()
        # Bob is not signed in: CAL gets 217, the bridge reports him offline and the
        # router sends the text to his phone.
        alice.send_message(BOB_JID, "tu viens ce soir ?")
        [sms] = smsc.wait_for_messages(1, timeout=20)
        self.assertEqual(sms["destination_addr"], BOB_PHONE.lstrip("+"))
        self.assertIn("tu viens ce soir ?", sms["text"])
        self.assertTrue(srv.routed(kinds=["sb_cal_offline"]))
        # His SMS answer comes back into the MSN conversation, from his puppet.
        answer = smsc.mo(BOB_PHONE, SENDER, "oui, à 20h")
        self.assertTrue(answer.get("ok"), answer)
        alice.wait_message(lambda s: s.body and "oui, à 20h" in s.body and s.bare_from == BOB_JID,
                           timeout=20)

    def test_gateway_account_takes_msn_users_to_any_phone_and_back(self):
        srv = self.msn_server()
        srv.add_account(GATEWAY, "123456", "SMS")
        srv.check("add_contact", owner=GATEWAY, contact=BOB, lists=["FL", "AL"])
        srv.check("add_contact", owner=BOB, contact=GATEWAY, lists=["FL", "AL"])
        smsc = self.smsc()
        b = self.bridge(srv, smsc=smsc, gateway=True)
        self.wait_ready(b)
        bob = self.bob(srv)
        sb = bob.run(bob.client.open_switchboard(GATEWAY))
        bob.run(sb.send_text(f"{PHONE} Salut, c'est Bob sur MSN"))
        [sms] = smsc.wait_for_messages(1, timeout=20)
        self.assertEqual(sms["destination_addr"], PHONE.lstrip("+"))
        self.assertEqual(sms["text"], f"[MSN] {BOB}: Salut, c'est Bob sur MSN")
        time.sleep(0.5)  # the SMSC's answer reaches the bridge: the thread is recorded
        answer = smsc.mo(PHONE, SENDER, "Coucou Bob, bien reçu")
        self.assertTrue(answer.get("ok"), answer)
        texts = []
        while f"{PHONE}: Coucou Bob, bien reçu" not in texts:
            texts.append(bob.run(sb.next_text(timeout=20)).body.decode())

    def offline_person_story(self):
        srv = self.msn_server()
        smsc = self.smsc()
        b = self.bridge(srv, smsc=smsc)
        self.wait_ready(b)
        # alice was online (the component saw her presence), then signs off.
        alice = self.alice()
        alice.send_raw(f"<presence to='{BOB_JID}'/>")
        time.sleep(0.5)
        alice.stop()
        time.sleep(1.0)
        bob = self.bob(srv)
        # alice is offline everywhere: bob's message goes to her phone...
        sb = bob.run(bob.client.open_switchboard(ACCOUNT))
        bob.run(sb.send_text("Alice, tu es là ?"))
        [sms] = smsc.wait_for_messages(1, timeout=20)
        self.assertEqual(sms["destination_addr"], ALICE_PHONE.lstrip("+"))
        self.assertIn("Alice, tu es là ?", sms["text"])
        # ...and her SMS answer goes back over MSN from her account.
        answer = smsc.mo(ALICE_PHONE, SENDER, "je suis dans le train")
        self.assertTrue(answer.get("ok"), answer)
        texts = []
        while "je suis dans le train" not in texts:
            texts.append(bob.run(sb.next_text(timeout=20)).body.decode())
        return texts

    def test_offline_person_gets_msn_messages_by_sms(self):
        self.offline_person_story()

    def test_offline_person_sender_gets_no_bounce(self):
        # The router also sends a copy to alice's XMPP account for her history; her server
        # refuses it (she is offline, no offline storage), and that must not come back to
        # bob as "passerelle: ... not delivered": the SMS reached her.
        texts = self.offline_person_story()
        self.assertEqual([t for t in texts if t.startswith("passerelle:")], [])

    # -- 6. account states ----------------------------------------------------------------

    def test_wrong_password_fails_without_retrying(self):
        srv = self.msn_server()
        b = self.bridge(srv, password="not-the-password")
        st = self.wait_msn(b, "failed", detail="wrong password")
        self.assertIn(ACCOUNT, st["detail"])
        time.sleep(2)
        failures = srv.routed(kinds=["login_failed", "http_login_failed"])
        self.assertEqual(len(failures), 1, failures)
        # The password is never logged, even at debug level.
        for log in self.tmp.glob("passerelle.*.log"):
            self.assertNotIn("not-the-password", log.read_text(errors="replace"), log)

    def test_signed_in_elsewhere_then_server_restart(self):
        srv = self.msn_server()
        b = self.bridge(srv)
        self.wait_ready(b)
        alice = self.alice()
        self.bob(srv)
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and s.type != "unavailable", timeout=15)
        srv.check("kick", email=ACCOUNT)
        st = self.wait_msn(b, "failed", detail="another location")
        self.assertIn(ACCOUNT, st["detail"])
        # Bob's puppet goes offline for alice: the bridge no longer knows his presence.
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and s.type == "unavailable", timeout=15)
        # It waits the longest backoff (2 s here) before signing in again.
        self.wait_msn(b, "up", timeout=15)

        # A server restart (connections dropped without a word): reconnect with backoff.
        before = self.msn_state(b)["reconnects"]
        srv.check("restart_ns")
        wait_until(lambda: self.msn_state(b)["reconnects"] > before
                   and self.msn_state(b)["state"] == "up", timeout=20,
                   message="msn reconnected after the server restart")
        logins = srv.routed(kinds=["login"])
        self.assertGreaterEqual(len([e for e in logins if e.get("email") == ACCOUNT]), 3, logins)

    def test_dispatch_server_redirects_to_the_notification_server(self):
        # The configured host is a dispatch server: it answers USR TWN I with XFR NS.
        srv = self.msn_server("--dispatch")
        b = self.bridge(srv)
        self.wait_msn(b, "up")
        [login] = [e for e in srv.routed(kinds=["login"]) if e.get("email") == ACCOUNT]
        sessions = [x for x in srv.check("sessions")["ns"] if x["email"] == ACCOUNT]
        self.assertEqual(len(sessions), 1, sessions)
        self.assertEqual(login["dialect"], int(self.versions.split(",")[0][4:]))

    def test_challenges_answered(self):
        # CHL right after login and on demand: a wrong or missing QRY would get 540 and
        # the connection closed.
        srv = self.msn_server("--challenge-on-login")
        b = self.bridge(srv)
        self.wait_msn(b, "up")
        srv.check("challenge", email=ACCOUNT)
        wait_until(lambda: len(srv.routed(kinds=["qry"])) >= 2, timeout=10, message="two QRY")
        self.assertTrue(all(e.get("ok") for e in srv.routed(kinds=["qry"])), srv.routed(kinds=["qry"]))
        time.sleep(0.5)
        self.assertEqual(self.msn_state(b)["state"], "up")
        self.assertEqual(self.msn_state(b)["reconnects"], 0)

    def test_server_shutdown_and_back(self):
        # OUT SSD, then nothing listens for a while, then a new server on the same ports:
        # the account backs off, says why, and signs in again by itself.
        srv = self.msn_server()
        b = self.bridge(srv)
        self.wait_msn(b, "up")
        ns_port, login_port = srv.ns_port, srv.login_port
        srv.control("shutdown")
        st = self.wait_msn(b, "backing_off", detail="shutting down")
        self.assertIn(ACCOUNT, st["detail"])
        srv.proc.wait(10)
        time.sleep(1.0)
        (self.tmp / "msn2").mkdir()
        srv2 = MsnServer(extra_args=["--versions", self.versions, "--port", str(ns_port),
                                     "--login-port", str(login_port)], workdir=str(self.tmp / "msn2"))
        srv2.start()
        self.addCleanup(srv2.stop)
        srv2.add_account(ACCOUNT, "123456", "Alice")
        self.wait_msn(b, "up", timeout=20)
        self.assertTrue([e for e in srv2.routed(kinds=["login"]) if e.get("email") == ACCOUNT])

    def test_account_state_reaches_the_xmpp_client(self):
        # The router sends the account's state as presence from the gateway JID
        # (msn.<domain>) with the reason as status.
        srv = self.msn_server()
        b = self.bridge(srv)
        self.wait_ready(b)
        alice = self.alice()
        srv.check("kick", email=ACCOUNT)
        self.wait_msn(b, "failed", detail="another location")
        alice.wait_presence(lambda s: s.bare_from == MSN and "another location" in ET_status(s),
                            timeout=10)


    # -- 7. Passport login over HTTPS ------------------------------------------------------

    def https_server(self, san="IP:127.0.0.1"):
        """The test server with its login port on HTTPS, with a certificate (for `san`)
        issued by a throwaway CA made here; returns the server and the CA's certificate."""
        d = self.tmp / "tls"
        d.mkdir(exist_ok=True)
        ca_cert, ca_key = certs.ca(d, "ca")
        cert, key = certs.signed(d, "login", ca_cert, ca_key, san=san)
        srv = self.msn_server("--login-cert", str(cert), "--login-key", str(key))
        self.assertIs(srv.info["login_tls"], True)
        return srv, ca_cert

    def https_url(self, srv):
        return f"https://127.0.0.1:{srv.login_port}/rdr/pprdr.asp"

    @skip_unless(certs.available(), "needs the openssl command")
    def test_https_login_with_the_configured_ca(self):
        srv, ca_cert = self.https_server()
        b = self.bridge(srv, login_url=self.https_url(srv), login_ca_file=ca_cert)
        self.wait_ready(b)
        logins = [e for e in srv.routed(kinds=["http_login"]) if e.get("email") == ACCOUNT]
        self.assertEqual(len(logins), 1, logins)
        self.assertIs(logins[0]["tls"], True)
        self.assertEqual(srv.routed(kinds=["http_tls_failed"]), [])
        # A message goes through both ways (bob signs in over HTTPS too).
        alice = self.alice()
        bob = MsnContact(srv, BOB, versions=self.versions.split(","),
                         login_ssl=ssl.create_default_context(cafile=str(ca_cert)))
        self.addCleanup(bob.stop)
        bob.login()
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and s.type in ("", "available"), timeout=20)
        alice.send_message(BOB_JID, "par HTTPS ✓")
        sb = self.answer_ring(bob)
        self.assertEqual(bob.run(sb.next_text(timeout=15)).body.decode(), "par HTTPS ✓")
        bob.run(sb.send_text("reçu"))
        alice.wait_message(lambda s: s.body == "reçu" and s.bare_from == BOB_JID, timeout=15)

    @skip_unless(certs.available(), "needs the openssl command")
    def test_https_login_with_an_untrusted_certificate(self):
        # No login_ca_file: the system's CAs do not know the test CA. The account does not
        # sign in, says why on /readyz and to alice, and retries with backoff
        # (reconnect_initial_ms 300, reconnect_max_ms 2000), without spinning.
        srv, _ = self.https_server()
        b = self.bridge(srv, login_url=self.https_url(srv))
        alice = self.alice()
        st = self.wait_msn(b, "backing_off", detail="certificate verify failed")
        self.assertIn(ACCOUNT, st["detail"])
        self.assertIn("TLS", st["detail"])
        alice.wait_presence(lambda s: s.bare_from == MSN and s.type == "unavailable"
                            and "certificate verify failed" in ET_status(s), timeout=15)

        cpu_before = process_cpu_s(b.pid)
        first = srv.routed(kinds=["http_tls_failed"])[0]["t"]
        time.sleep(6)
        attempts = [e["t"] for e in srv.routed(kinds=["http_tls_failed"]) if e["t"] <= first + 6]
        cpu = process_cpu_s(b.pid) - cpu_before
        self.assertTrue(b.running())
        # Backoff: 150-300 ms, 300-600, 600-1200, then 1000-2000 ms: 4 to 8 attempts in 6 s.
        self.assertGreaterEqual(len(attempts), 3, attempts)
        self.assertLessEqual(len(attempts), 9, attempts)
        gaps = [b_ - a for a, b_ in zip(attempts, attempts[1:])]
        self.assertGreaterEqual(max(gaps), 0.9, gaps)
        self.assertLess(cpu, 2.0, f"the bridge used {cpu:.2f} s of CPU in 6 s")
        self.assertEqual(srv.routed(kinds=["http_login", "http_login_failed"]), [])
        self.assertEqual(b.get("/healthz").status, 200)
        st = self.msn_state(b)
        self.assertNotEqual(st["state"], "up")
        self.assertGreaterEqual(st["reconnects"], len(attempts) - 1)

    @skip_unless(certs.available(), "needs the openssl command")
    def test_https_login_certificate_for_another_address(self):
        # Trusted CA, but the certificate is for 127.0.0.2: the login URL's host must be in
        # the certificate.
        srv, ca_cert = self.https_server(san="IP:127.0.0.2")
        b = self.bridge(srv, login_url=self.https_url(srv), login_ca_file=ca_cert)
        st = self.wait_msn(b, "backing_off", detail="IP address mismatch")
        self.assertIn("certificate verify failed", st["detail"])
        self.assertEqual(srv.routed(kinds=["http_login", "http_login_failed"]), [])

    @skip_unless(certs.available(), "needs the openssl command")
    def test_login_ca_file_checked_before_start(self):
        srv, _ = self.https_server()
        # A missing file: check-config (and run) refuse it, naming the key and the file.
        missing = self.tmp / "no-such-ca.pem"
        b = self.bridge(srv, login_url=self.https_url(srv), login_ca_file=missing, start=False)
        b.write_config()
        r = subprocess.run([b.binary, "check-config", "--config", str(b.config_path)], capture_output=True,
                           text=True, timeout=30, cwd=self.tmp, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, re.escape(b.config_path.name) + r":\d+:\d+: msn\.login_ca_file: file '"
                         + re.escape(str(missing)) + "' does not exist or is not a regular file")
        # Looks like PEM but OpenSSL cannot use it: the daemon does not start, and says why.
        broken = self.tmp / "broken-ca.pem"
        broken.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        b.config["msn"]["login_ca_file"] = str(broken)
        b.write_config()
        r = subprocess.run([b.binary, "run", "--config", str(b.config_path)], capture_output=True,
                           text=True, timeout=30, cwd=self.tmp, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"msn.login_ca_file {broken}: cannot load CA certificates", r.stdout + r.stderr)


class MsnConnectorMsnp8(MsnConnector):
    """The same stories against a server that only speaks MSNP8."""
    versions = "MSNP8"

    test_wrong_password_fails_without_retrying = None
    test_signed_in_elsewhere_then_server_restart = None
    test_own_presence_nudge_and_contact_request = None
    test_offline_contact_gets_the_message_by_sms = None
    test_offline_person_gets_msn_messages_by_sms = None
    test_offline_person_sender_gets_no_bounce = None
    test_account_state_reaches_the_xmpp_client = None
    test_https_login_with_the_configured_ca = None
    test_https_login_with_an_untrusted_certificate = None
    test_https_login_certificate_for_another_address = None
    test_login_ca_file_checked_before_start = None


def _child_text(s, name):
    for child in (s.xml if s.xml is not None else []):
        if child.tag.split("}", 1)[-1] == name:
            return child.text or ""
    return ""


def ET_show(s):
    return _child_text(s, "show")


def ET_status(s):
    return _child_text(s, "status")


def process_cpu_s(pid):
    """User + system CPU time of a process so far, in seconds (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    unittest.main()
