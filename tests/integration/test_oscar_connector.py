"""The AIM/ICQ (OSCAR) connector end to end: the daemon between Prosody (the bridge user
alice, with slixmpp) and the in-tree OSCAR test server (tests/peers/oscar), where alice's
linked AIM account "Alice SN" has the buddy bobsn, and her linked ICQ number 111111111 the
contact 222222222, both driven by the test server's client. Everything on 127.0.0.1.

    /usr/bin/python3 -m unittest tests.integration.test_oscar_connector -v
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lib.bridge import Bridge, smsc_table  # noqa: E402
from lib.oscar_peer import OscarServerProc, OscarUser  # noqa: E402
from lib.procs import HarnessTestCase, wait_until  # noqa: E402
from lib.smsc import Smsc  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
from lib.require import skip_unless  # noqa: E402

DOMAIN = "example.org"
AIM = f"aim.{DOMAIN}"
ICQ = f"icq.{DOMAIN}"
SECRET = "component-secret"
ALICE_PW = "alice-pw"
ACCOUNT = "alicesn"          # alice's linked AIM account
ACCOUNT_PW = "aim-secret"
BOB = "bobsn"                # her AIM buddy
BOB_JID = f"{BOB}@{AIM}"
ICQ_ACCOUNT = "111111111"    # alice's linked ICQ number
ICQ_PW = "icqpw"
CAROL = "222222222"          # her ICQ contact
CAROL_JID = f"{CAROL}@{ICQ}"
ALICE_PHONE = "+33611111111"
GATEWAY = "smsgw"           # the bridge's own AIM account to phones
GATEWAY_PW = "gwpw"
PHONE = "+33622222222"       # a phone nobody here knows
SENDER = "+33700000001"
TEXTS = ["Bonjour Bob ! é à ü ß", "smile 😀👋", "日本語のテキスト 中文", "a < b & c > d"]
ICQ_AWAY, ICQ_DND, ICQ_OCCUPIED = 0x0001, 0x0002, 0x0010
# What alice hears when bob warns her AIM account by name, then anonymously.
WARNINGS = ("warned by bobsn (warning level 15%)", "warned by anonymous (warning level 18%)")


def child_text(s, name):
    for child in (s.xml if s.xml is not None else []):
        if child.tag.split("}", 1)[-1] == name:
            return child.text or ""
    return ""


@skip_unless(Bridge.binary_available() and os.access("/usr/bin/prosody", os.X_OK),
                     "needs the passerelle binary and Prosody")
class OscarConnector(HarnessTestCase):
    def setUp(self):
        super().setUp()
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=("aim", "icq"), secret=SECRET)
        self.prosody.write_config()
        self.prosody.register("alice", ALICE_PW)
        self.prosody.start()
        self.addCleanup(self.prosody.stop)

    # -- helpers -----------------------------------------------------------------------

    def server(self):
        srv = OscarServerProc(self.tmp / "oscar", accounts=[
            (ACCOUNT, ACCOUNT_PW), (BOB, "bobpw"), (ICQ_ACCOUNT, ICQ_PW), (CAROL, "carolpw"),
            (GATEWAY, GATEWAY_PW)]).start()
        self.addCleanup(srv.stop)
        # The linked accounts' server-stored buddy lists: bob on alice's AIM list, carol on
        # her ICQ list (as a person would have them from years of use).
        for sn, pw, buddy in ((ACCOUNT, ACCOUNT_PW, BOB), (ICQ_ACCOUNT, ICQ_PW, CAROL)):
            u = OscarUser(srv, sn, pw).login()
            self.assertEqual(u.run(u.client.add_buddy(buddy)), 0)
            u.stop()
        return srv

    def bridge(self, srv, *, password=ACCOUNT_PW, icq=True, smsc=None, reconnect_max_ms=2000,
               people=(), gateway=False):
        accounts = [{"network": "aim", "login": ACCOUNT, "password": password, "person": "alice"}]
        if gateway:
            accounts.append({"network": "aim", "login": GATEWAY, "password": GATEWAY_PW,
                             "gateway": True, "allow": [BOB]})
        if icq:
            accounts.append({"network": "icq", "login": ICQ_ACCOUNT, "password": ICQ_PW,
                             "person": "alice", "login_method": "password"})
        config = {
            "xmpp": {"enabled": True, "component_host": "127.0.0.1",
                     "component_port": self.prosody.component_port, "secret": SECRET,
                     "networks": ["aim", "icq"], "reconnect_initial_ms": 200,
                     "reconnect_max_ms": 1000},
            "oscar": {"enabled": True, "host": "127.0.0.1", "port": srv.auth_port,
                      "reconnect_initial_ms": 300, "reconnect_max_ms": reconnect_max_ms,
                      "login_interval_ms": 10, "accounts": accounts},
            "people": [{"name": "alice", "phone": ALICE_PHONE,
                        "addresses": [f"xmpp:alice@{DOMAIN}"]}, *people],
        }
        if smsc is not None:
            config["sms"] = {"enabled": True, "sender_numbers": [SENDER],
                             "smsc": [smsc_table("primary", smsc.port, reconnect_initial_ms=200,
                                                 reconnect_max_ms=1000, enquire_link_s=5)]}
        b = Bridge(self.tmp, config)
        self.addCleanup(b.stop)
        b.start()
        return b

    def oscar_state(self, b):
        for c in b.get_json("/readyz")["connectors"]:
            if c["name"] == "oscar":
                return c
        return None

    def wait_oscar(self, b, state, timeout=20, detail=None):
        def ok():
            c = self.oscar_state(b)
            return c and c["state"] == state and (detail is None or detail in c["detail"])
        wait_until(ok, timeout=timeout, message=f"oscar {state} on /readyz ({detail or ''})")
        return self.oscar_state(b)

    def alice(self):
        u = XmppUser(f"alice@{DOMAIN}", ALICE_PW, self.prosody.c2s_port)
        u.start()
        self.addCleanup(u.stop)
        return u

    def user(self, srv, sn, pw):
        u = OscarUser(srv, sn, pw)
        self.addCleanup(u.stop)
        return u.login()

    # -- 1 + 2. AIM: chat both ways in every charset, presence, away message, typing -------

    def test_aim_chat_presence_away_and_typing(self):
        srv = self.server()
        b = self.bridge(srv, icq=False)
        self.wait_oscar(b, "up")
        alice = self.alice()
        bob = self.user(srv, BOB, "bobpw")
        # Bob signs on: his arrival reaches alice from his puppet.
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and s.type in ("", "available"),
                            timeout=20)

        # alice → bob, every charset (ASCII, ISO-8859-1, UCS-2BE with surrogates).
        for text in TEXTS:
            alice.send_message(BOB_JID, text)
            im = bob.run(bob.client.wait_im(ACCOUNT, timeout=15))
            got = im.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            self.assertEqual(got, text)
        charsets = [e["charset"] for e in srv.events("icbm") if e.get("from") == ACCOUNT]
        self.assertIn(0x0000, charsets)
        self.assertIn(0x0003, charsets)
        self.assertIn(0x0002, charsets)

        # bob → alice, in each charset, and as AIM HTML.
        for text in TEXTS:
            bob.run(bob.client.send_im(ACCOUNT, text))
            got = alice.wait_message(lambda s, t=text: s.body == t, timeout=15)
            self.assertEqual(got.bare_from, BOB_JID)
        bob.run(bob.client.send_im(ACCOUNT, "<HTML><BODY><B>bold</B> &amp; plain</BODY></HTML>"))
        alice.wait_message(lambda s: s.body == "bold & plain", timeout=15)

        # Typing both ways.
        since = time.monotonic()
        bob.run(bob.client.typing_notify(ACCOUNT, 2))
        alice.wait_chat_state("composing", timeout=10, since=since)
        alice.send_chat_state(BOB_JID, "composing")
        bob.run(bob.client.wait_for(lambda: (ACCOUNT, 2) in bob.client.typing, 15, "typing"))

        # Bob goes away with a message, then comes back.
        bob.run(bob.client.set_away("out to lunch"))
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and child_text(s, "show") == "away"
                            and "out to lunch" in child_text(s, "status"), timeout=15)
        bob.run(bob.client.set_away(""))
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and child_text(s, "show") == ""
                            and s.type in ("", "available"), timeout=15, since=time.monotonic() - 1)

        # Bob signs off.
        bob.stop()
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and s.type == "unavailable", timeout=15)

    # -- 1 + 2. ICQ: numbers, statuses, roasted login ------------------------------------------

    def test_icq_chat_and_statuses(self):
        srv = self.server()
        b = self.bridge(srv)
        self.wait_oscar(b, "up")
        logins = srv.events("login", user=ICQ_ACCOUNT)
        self.assertTrue(any(e.get("method") == "roast" for e in logins), logins)
        alice = self.alice()
        carol = self.user(srv, CAROL, "carolpw")
        alice.wait_presence(lambda s: s.bare_from == CAROL_JID and s.type in ("", "available"),
                            timeout=20)
        alice.send_message(CAROL_JID, "Salut Carol, ça va ? 😀 你好")
        im = carol.run(carol.client.wait_im(ICQ_ACCOUNT, timeout=15))
        self.assertEqual(im.text, "Salut Carol, ça va ? 😀 你好")
        carol.run(carol.client.send_im(ICQ_ACCOUNT, "Très bien, merci ! 日本"))
        alice.wait_message(lambda s: s.body == "Très bien, merci ! 日本" and s.bare_from == CAROL_JID,
                           timeout=15)
        # ICQ statuses map to XMPP shows.
        for status, show in ((ICQ_AWAY, "away"), (ICQ_DND | ICQ_OCCUPIED | ICQ_AWAY, "dnd"),
                             (0x0020, "chat"), (0x0000, "")):
            since = time.monotonic()
            carol.run(carol.client.set_status(status))
            alice.wait_presence(lambda s, show=show: s.bare_from == CAROL_JID
                                and s.type in ("", "available") and child_text(s, "show") == show,
                                timeout=15, since=since)

    # -- own presence, receipts, offline buddy, buddy list -----------------------------------

    def test_own_presence_receipts_offline_buddy_and_buddy_list(self):
        srv = self.server()
        srv.control("create_account", screen_name="davesn", password="davepw")
        b = self.bridge(srv, icq=False)
        self.wait_oscar(b, "up")
        alice = self.alice()
        bob = self.user(srv, BOB, "bobpw")
        alice.wait_presence(lambda s: s.bare_from == BOB_JID, timeout=20)

        # alice goes away with a status text: her AIM account shows it as away message.
        alice.send_raw(f"<presence to='{BOB_JID}'><show>away</show><status>en réunion</status></presence>")

        def away_text():
            info, tlvs = bob.run(bob.client.get_info(ACCOUNT))
            mime = tlvs.get(3, b"").decode("ascii", "replace")
            raw = tlvs.get(4, b"")
            if "unicode-2-0" in mime:
                return raw.decode("utf-16-be", "replace")
            return raw.decode("utf-8" if "utf-8" in mime else "cp1252", "replace")
        # (Read through LOCATE, decoded by the charset its MIME type names: ISO-8859-1 here.)
        wait_until(lambda: "en réunion" in away_text(), timeout=15,
                   message=f"away message on {ACCOUNT}")
        alice.send_raw(f"<presence to='{BOB_JID}'/>")
        wait_until(lambda: away_text() == "", timeout=15, message="back")

        # A receipt request: the server's host ack becomes a delivery receipt.
        sid = alice.send_message(BOB_JID, "accusé de réception ?", receipt=True)
        bob.run(bob.client.wait_im(ACCOUNT, timeout=15))
        alice.wait_receipt(sid, timeout=15)

        # dave is not signed on: ICBM error 0x0004, alice hears it did not arrive.
        alice.send_message(f"davesn@{AIM}", "tu es là ?")
        err = alice.wait("message", lambda s: s.bare_from == f"davesn@{AIM}" and
                         (s.type == "error" or "not" in (s.body or "")), timeout=20)
        self.assertIsNotNone(err)
        self.assertTrue([e for e in srv.events("icbm") if e.get("to") == "davesn"
                         and e.get("result") == "not_logged_on"])

        # alice adds dave to her roster: he goes on the server-stored list; removing him
        # takes him off.
        alice.send_raw(f"<presence type='subscribe' to='davesn@{AIM}'/>")

        def on_list(name):
            return any(i.get("name", "").lower() == name and i.get("class", i.get("cls")) in (0, None)
                       for i in srv.control("feedbag", screen_name=ACCOUNT)["items"])
        wait_until(lambda: on_list("davesn"), timeout=15, message="dave on alice's feedbag")
        alice.send_raw(f"<presence type='unsubscribe' to='davesn@{AIM}'/>")
        wait_until(lambda: not on_list("davesn"), timeout=15, message="dave off alice's feedbag")

    # -- ICQ: offline messages, authorization ---------------------------------------------------

    def test_icq_offline_messages_and_authorization(self):
        srv = self.server()
        srv.control("create_account", screen_name="333333333", password="dpw", auth_required=True)
        # carol writes while alice's ICQ account is signed off: the server stores it.
        carol = self.user(srv, CAROL, "carolpw")
        carol.run(carol.client.send_im(ICQ_ACCOUNT, "message hors ligne é😀", offline=True))
        self.assertEqual(len(srv.control("offline", screen_name=ICQ_ACCOUNT)["messages"]), 1)
        alice = self.alice()
        b = self.bridge(srv)
        self.wait_oscar(b, "up")
        # Fetched at sign-on, delivered to alice, then deleted from the server.
        alice.wait_message(lambda s: s.body == "message hors ligne é😀" and s.bare_from == CAROL_JID,
                           timeout=20)
        wait_until(lambda: not srv.control("offline", screen_name=ICQ_ACCOUNT)["messages"],
                   timeout=15, message="offline messages deleted")
        # alice adds 333333333 (dora), who requires authorization: the bridge asks for it.
        dora = self.user(srv, "333333333", "dpw")
        alice.send_raw(f"<presence type='subscribe' to='333333333@{ICQ}'/>")
        srv.wait_event("auth_request", lambda e: e.get("from") == ICQ_ACCOUNT
                       and e.get("to") == "333333333", timeout=15)
        # Once dora authorizes, the server shows her to alice's account: her presence
        # reaches alice. (The component approves XMPP subscriptions itself, so the
        # subscribed that the authorization reply becomes is not visible on its own.)
        since = time.monotonic()
        dora.run(dora.client.auth_reply(ICQ_ACCOUNT, True))
        alice.wait_presence(lambda s: s.bare_from == f"333333333@{ICQ}" and s.type in ("", "available"),
                            timeout=15, since=since)
        # eve, a stranger, asks for alice's authorization: alice's client gets a
        # subscription request from eve's puppet.
        srv.control("create_account", screen_name="444444444", password="epw")
        eve = self.user(srv, "444444444", "epw")
        eve.run(eve.client.auth_request(ICQ_ACCOUNT, "hi"))
        alice.wait_presence(lambda s: s.bare_from == f"444444444@{ICQ}" and s.type == "subscribe",
                            timeout=15)

    # -- 3. offline fallback over AIM ------------------------------------------------------------

    def test_offline_person_gets_aim_messages_by_sms(self):
        srv = self.server()
        smsc = Smsc(self.tmp, name="smsc", receipts=True)
        smsc.start()
        self.addCleanup(smsc.stop)
        b = self.bridge(srv, icq=False, smsc=smsc)
        self.wait_oscar(b, "up")
        # alice was online (the component saw her presence), then signs off everywhere.
        alice = self.alice()
        alice.send_raw(f"<presence to='{BOB_JID}'/>")
        time.sleep(0.5)
        alice.stop()
        time.sleep(1.0)
        bob = self.user(srv, BOB, "bobpw")
        bob.run(bob.client.send_im(ACCOUNT, "Alice, tu es là ?"))
        [sms] = smsc.wait_for_messages(1, timeout=20)
        self.assertEqual(sms["destination_addr"], ALICE_PHONE.lstrip("+"))
        self.assertIn("Alice, tu es là ?", sms["text"])
        # Her SMS answer goes back over AIM from her account.
        answer = smsc.mo(ALICE_PHONE, SENDER, "je suis dans le train")
        self.assertTrue(answer.get("ok"), answer)
        im = bob.run(bob.client.wait_im(ACCOUNT, timeout=20))
        self.assertEqual(im.text, "je suis dans le train")

    def test_gateway_account_takes_aim_users_to_any_phone_and_back(self):
        srv = self.server()
        smsc = Smsc(self.tmp, name="smsc", receipts=True)
        smsc.start()
        self.addCleanup(smsc.stop)
        b = self.bridge(srv, icq=False, smsc=smsc, gateway=True)
        self.wait_oscar(b, "up")
        bob = self.user(srv, BOB, "bobpw")
        bob.run(bob.client.send_im(GATEWAY, f"{PHONE} Salut, c'est Bob sur AIM"))
        [sms] = smsc.wait_for_messages(1, timeout=20)
        self.assertEqual(sms["destination_addr"], PHONE.lstrip("+"))
        self.assertEqual(sms["source_addr"], SENDER.lstrip("+"))
        self.assertEqual(sms["text"], "[AIM] bobsn: Salut, c'est Bob sur AIM")
        time.sleep(0.5)  # the SMSC's answer reaches the bridge: the thread is recorded
        answer = smsc.mo(PHONE, SENDER, "Coucou Bob 😀")
        self.assertTrue(answer.get("ok"), answer)
        im = bob.run(bob.client.wait_im(GATEWAY, timeout=20))
        self.assertEqual(im.text, f"{PHONE}: Coucou Bob 😀")
        # Without a number: to the same phone.
        bob.run(bob.client.send_im(GATEWAY, "Tu viens ce soir ?"))
        sms = smsc.wait_for_messages(2, timeout=20)[1]
        self.assertEqual(sms["destination_addr"], PHONE.lstrip("+"))
        self.assertEqual(sms["text"], "[AIM] bobsn: Tu viens ce soir ?")
        # A contact the gateway does not serve is told so, and nothing leaves.
        carol = self.user(srv, CAROL, "carolpw")
        carol.run(carol.client.send_im(GATEWAY, f"{PHONE} free SMS?"))
        refusal = carol.run(carol.client.wait_im(GATEWAY, timeout=20))
        self.assertIn("not allowed to use this gateway", refusal.text)
        time.sleep(1.0)
        self.assertEqual(len(smsc.messages()), 2)

    def test_offline_icq_contact_gets_an_icq_offline_message(self):
        # ICQ keeps messages for contacts who are signed off (ICBM TLV 0x0006): the bridge
        # asks for it from an ICQ account, and the server's host ack reports it delivered.
        srv = self.server()
        b = self.bridge(srv)
        self.wait_oscar(b, "up")
        alice = self.alice()
        sid = alice.send_message(CAROL_JID, "à plus tard ✨", receipt=True)
        alice.wait_receipt(sid, timeout=15)
        stored = srv.wait_event("icbm", lambda e: e.get("to") == CAROL and e.get("result") == "stored",
                                timeout=10)
        self.assertTrue(stored["store_offline"])
        carol = self.user(srv, CAROL, "carolpw")
        msgs = carol.run(carol.client.fetch_offline())
        self.assertEqual([m.text.decode("utf-8") for m in msgs], ["à plus tard ✨"])

    # -- 4. rate class ----------------------------------------------------------------------------

    def test_rate_class_slows_down_and_delivers_everything(self):
        srv = self.server()
        b = self.bridge(srv, icq=False)
        self.wait_oscar(b, "up")
        alice = self.alice()
        bob = self.user(srv, BOB, "bobpw")
        alice.wait_presence(lambda s: s.bare_from == BOB_JID, timeout=20)
        # The ICBM class tightened: a client sending as fast as it can would be warned after
        # ~2 messages, limited after ~4.
        srv.control("set_rate_class", class_id=3, window=10, clear=300, alert=250, limit=200,
                    disconnect=50, max=500, reset=True)
        time.sleep(0.5)
        n = 12
        start = time.monotonic()
        for i in range(n):
            alice.send_message(BOB_JID, f"burst {i}")
        got = [bob.run(bob.client.wait_im(ACCOUNT, timeout=30)).text for _ in range(n)]
        elapsed = time.monotonic() - start
        self.assertEqual(sorted(got), sorted(f"burst {i}" for i in range(n)))
        self.assertEqual(srv.events(["rate_warning", "rate_drop", "rate_disconnect"], user=ACCOUNT), [])
        # Sustained rate at the clear level + margin: ~350 ms per message after the first few.
        self.assertGreater(elapsed, 2.0)
        self.assertEqual(self.oscar_state(b)["state"], "up")

    # -- 5. account states --------------------------------------------------------------------------

    def test_wrong_password_fails_without_retrying(self):
        srv = self.server()
        alice = self.alice()
        # The login server is away while the bridge starts, so that the failure comes once
        # the XMPP component is up (see the expected failure below for the start-up case).
        srv.control("stop_listening")
        b = self.bridge(srv, password="not-the-password", icq=False)
        self.wait_oscar(b, "backing_off", timeout=15)
        wait_until(lambda: all(c["state"] == "up" for c in b.get_json("/readyz")["connectors"]
                               if c["name"] != "oscar"), timeout=15, message="xmpp up")
        srv.control("start_listening")
        st = self.wait_oscar(b, "failed", timeout=15)
        self.assertIn(f"aim:{ACCOUNT}", st["detail"])
        self.assertIn("password", st["detail"].lower())
        # No retry: one refused login, however long we wait.
        time.sleep(2)
        failures = [e for e in srv.events("login") if e.get("result") != "ok"]
        self.assertEqual(len(failures), 1, failures)
        self.assertEqual(self.oscar_state(b)["state"], "failed")
        log = (self.tmp / "passerelle.stderr.log").read_text(errors="replace")
        self.assertNotIn("not-the-password", log)

    def test_account_state_reaches_the_xmpp_client(self):
        # The router turns AccountStateEvent into the gateway's presence (aim.example.org,
        # the reason as status), and replays it when alice's client comes online.
        srv = self.server()
        alice = self.alice()
        srv.control("stop_listening")
        b = self.bridge(srv, password="not-the-password", icq=False)
        self.wait_oscar(b, "backing_off", timeout=15)
        wait_until(lambda: all(c["state"] == "up" for c in b.get_json("/readyz")["connectors"]
                               if c["name"] != "oscar"), timeout=15, message="xmpp up")
        srv.control("start_listening")
        self.wait_oscar(b, "failed", timeout=15)
        # Earlier states (connecting, backing off) came the same way; wait for this one.
        gw = alice.wait_presence(lambda s: s.bare_from == AIM and s.type == "unavailable"
                                 and "password" in child_text(s, "status"), timeout=10)
        self.assertIn("failed", child_text(gw, "status"))

    # -- server warnings and ICBM errors ------------------------------------------------------

    def warned_by_bob(self, *, max_sender_warn=None):
        """alice's AIM account up, bob online; alice writes to bob (one may only warn
        someone who wrote to one), then bob warns her account by name (15%) and
        anonymously (18%). Returns (server, bridge, alice, bob)."""
        srv = self.server()
        b = self.bridge(srv, icq=False)
        self.wait_oscar(b, "up")
        alice = self.alice()
        bob = self.user(srv, BOB, "bobpw")
        alice.wait_presence(lambda s: s.bare_from == BOB_JID and s.type in ("", "available"),
                            timeout=20)
        alice.send_message(BOB_JID, "tu m'énerves")
        bob.run(bob.client.wait_im(ACCOUNT, timeout=15))
        if max_sender_warn is not None:
            bob.run(bob.client.set_icbm_params(max_sender_warn=max_sender_warn))
        self.assertEqual(bob.run(bob.client.warn(ACCOUNT)), (150, 150))
        self.assertEqual(bob.run(bob.client.warn(ACCOUNT, anonymous=True)), (30, 180))
        # The server sent both evil notifications (OSERVICE 0x0010) to the linked account,
        # and the connector read them: who, and the level in percent.
        notes = srv.control("frames", user=ACCOUNT, family=0x0001, subtype=0x0010, dir="out")["frames"]
        self.assertEqual(len(notes), 2, notes)
        log = self.tmp / "passerelle.stderr.log"
        wait_until(lambda: all(t in log.read_text(errors="replace") for t in WARNINGS),
                   timeout=10, message="the daemon's log names both warnings")
        self.assertEqual(self.oscar_state(b)["state"], "up")
        return srv, b, alice, bob

    def test_icbm_error_reaches_the_xmpp_client_as_a_message_error(self):
        # bob's client accepts messages only from senders warned up to 10%: once he has
        # warned alice's account (18%), the server answers her next message with ICBM
        # error 0x0011 (sender too evil), which is not "recipient not logged on" (no SMS
        # rescue, no retry): alice's client gets a message error naming the reason.
        srv, b, alice, bob = self.warned_by_bob(max_sender_warn=100)
        sid = alice.send_message(BOB_JID, "pardon ?")
        err = alice.wait_error(lambda s: s.bare_from == BOB_JID, timeout=20)
        self.assertEqual(err.id, sid)
        self.assertIn("warning level too high", err.error_text or "")
        self.assertIn(f"aim:{BOB}", err.error_text or "")
        self.assertEqual(bob.client.ims, [])
        time.sleep(1)
        # Refused once, not retried: the error is final.
        refused = [e for e in srv.events("icbm") if e.get("result") == "sender_too_evil"]
        self.assertEqual(len(refused), 1, refused)

    def test_aim_warnings_reach_the_xmpp_client_as_the_gateway_status(self):
        # Each evil notification keeps the account up with a reason ("warned by bobsn
        # (warning level 15%)"); the gateway's status in alice's client says it.
        srv, b, alice, bob = self.warned_by_bob()
        for text in WARNINGS:
            gw = alice.wait_presence(lambda s, t=text: s.bare_from == AIM and t in child_text(s, "status"),
                                     timeout=10)
            self.assertIn(gw.type, ("", "available"))

    def test_duplicate_login_then_server_disconnect(self):
        srv = self.server()
        b = self.bridge(srv, icq=False)
        self.wait_oscar(b, "up")
        # alice signs on from another AIM client: the bridge is signed out...
        other = self.user(srv, ACCOUNT, ACCOUNT_PW)
        st = self.wait_oscar(b, "failed", detail="another location")
        self.assertIn(f"aim:{ACCOUNT}", st["detail"])
        # ...and waits the longest backoff (2 s here) before signing on again.
        self.wait_oscar(b, "up", timeout=15)
        code = other.run(other.client.wait_closed(timeout=10))
        self.assertEqual(code, 1)

        # The server drops every session: reconnect with backoff.
        srv.control("stop_listening", drop_sessions=True)
        self.wait_oscar(b, "backing_off", timeout=10)
        time.sleep(1)
        srv.control("start_listening")
        self.wait_oscar(b, "up", timeout=20)
        self.assertGreaterEqual(self.oscar_state(b)["reconnects"], 2)
        # No crash loop: a handful of logins, not hundreds.
        logins = srv.events("login", user=ACCOUNT)
        self.assertLess(len(logins), 20, logins)


if __name__ == "__main__":
    unittest.main()
