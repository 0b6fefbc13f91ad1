"""The XMPP <-> SMS stories end to end: the daemon between a real Prosody (users driven
by slixmpp) and the SMSC simulator on npm smpp, all on 127.0.0.1.

    /usr/bin/python3 -m unittest tests.integration.test_sms_stories -v
"""

import contextlib
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.bridge import Bridge, smsc_table  # noqa: E402
from lib.procs import HarnessTestCase, wait_until  # noqa: E402
from lib.smsc import Smsc  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
from lib.require import skip_unless  # noqa: E402

DOMAIN = "example.org"
SMS = f"sms.{DOMAIN}"
PHONE = "+33611111111"
BOB_PHONE = "+33622222222"
SENDER = "+33700000001"
SECRET = "component-secret"
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}
GSM_400 = ("The quick brown fox jumps over the lazy dog; {braces} [brackets] cost 5 EUR. " * 6)[:400]


@skip_unless(Bridge.binary_available() and os.access("/usr/bin/prosody", os.X_OK),
                     "needs the passerelle binary and Prosody")
class SmsStories(HarnessTestCase):
    def setUp(self):
        super().setUp()
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=("sms",), secret=SECRET)
        self.prosody.write_config()
        for user, pw in PASSWORDS.items():
            self.prosody.register(user, pw)
        self.prosody.start()
        self.users = []

    # -- helpers -----------------------------------------------------------------------

    def smsc(self, name="smsc", **options):
        s = Smsc(self.tmp, name=name, receipts=True, **options)
        s.start()
        self.addCleanup(s.stop)
        return s

    def bridge(self, smscs, *, people=(), accounts=(), sms=None, access=None, delivery=None,
               io_threads=None, start=True):
        config = {
            "xmpp": {"enabled": True, "component_host": "127.0.0.1",
                     "component_port": self.prosody.component_port, "secret": SECRET,
                     "networks": ["sms"], "reconnect_initial_ms": 200, "reconnect_max_ms": 1000,
                     "accounts": list(accounts)},
            "sms": {"enabled": True, "sender_numbers": [SENDER], **(sms or {}),
                    "smsc": [smsc_table(name, s.port, reconnect_initial_ms=200, reconnect_max_ms=1000,
                                        enquire_link_s=5, **opts)
                             for name, s, opts in smscs]},
            "people": list(people),
        }
        if access is not None:
            config["access"] = access
        if delivery is not None:
            config["delivery"] = delivery
        if io_threads is not None:
            config["bridge"] = {"io_threads": io_threads}
        b = Bridge(self.tmp, config)
        self.addCleanup(b.stop)
        if start:
            b.start()
            self.wait_links_up(b)
        return b

    def wait_links_up(self, b, timeout=20):
        def up():
            doc = b.get_json("/readyz")
            return doc.get("ready") and all(c["state"] == "up" for c in doc["connectors"])
        wait_until(up, timeout=timeout, message="every link up on /readyz")

    def user(self, name, priority=0):
        u = XmppUser(f"{name}@{DOMAIN}", PASSWORDS[name], self.prosody.c2s_port, priority=priority)
        u.start()
        self.users.append(u)
        self.addCleanup(u.stop)
        return u

    def mo(self, smsc, source, text, **kw):
        answer = smsc.mo(source, SENDER, text, **kw)
        self.assertTrue(answer.get("ok"), answer)
        self.assertEqual(answer.get("status"), 0, answer)
        return answer

    # -- 1. chat with any phone ----------------------------------------------------------

    def test_chat_with_any_phone(self):
        smsc = self.smsc()
        b = self.bridge([("primary", smsc, {})])
        alice = self.user("alice")

        # A short message with a receipt request: one SMS, then a receipt from the puppet.
        sid = alice.send_message(f"{PHONE}@{SMS}", "hello phone", receipt=True)
        [sms] = smsc.wait_for_messages(1)
        self.assertEqual(sms["destination_addr"], PHONE.lstrip("+"))
        self.assertEqual(sms["source_addr"], SENDER.lstrip("+"))
        self.assertEqual(sms["data_coding"], 0)
        self.assertEqual(sms["text"], f"[XMPP] alice@{DOMAIN}: hello phone")
        receipt = alice.wait_receipt(sid, timeout=15)
        self.assertEqual(receipt.bare_from, f"{PHONE}@{SMS}")

        # 400 GSM characters (with extension-table characters): three concatenated parts.
        smsc.clear()
        sid = alice.send_message(f"{PHONE}@{SMS}", GSM_400, receipt=True)
        parts = smsc.wait_for_messages(3)
        self.assertEqual(len(parts), 3)
        self.assertTrue(all(p["concat"]["total"] == 3 for p in parts), parts)
        self.assertEqual(len({p["concat"]["ref"] for p in parts}), 1)
        self.assertEqual(sorted(p["concat"]["seq"] for p in parts), [1, 2, 3])
        self.assertTrue(all(p["esm_class"] & 0x40 for p in parts))
        joined = "".join(p["text"] for p in sorted(parts, key=lambda p: p["concat"]["seq"]))
        self.assertEqual(joined, f"[XMPP] alice@{DOMAIN}: " + GSM_400)
        alice.wait_receipt(sid, timeout=15)  # only once every part is delivered

        # Emoji: UCS-2.
        smsc.clear()
        alice.send_message(f"{PHONE}@{SMS}", "on my way 🚲 à tout de suite")
        [sms] = smsc.wait_for_messages(1)
        self.assertEqual(sms["data_coding"], 8)
        self.assertTrue(sms["text"].endswith("on my way 🚲 à tout de suite"), sms)

        # The phone answers with a concatenated UCS-2 SMS, parts out of order.
        reply = "Réponse longue du téléphone 📱 " * 4
        self.mo(smsc, PHONE, reply, encoding="ucs2", split=2, order=[2, 1])
        msg = alice.wait_message(lambda s: s.body == reply, timeout=15)
        self.assertEqual(msg.bare_from, f"{PHONE}@{SMS}")

        # /metrics tells the story: 5 segments priced at 5, messages in and out by network,
        # deliveries by outcome, the routing time of each message, the links.
        self.assertEqual(b.metric("passerelle_sms_segments_total", smsc="primary"), 5)
        self.assertEqual(b.metric("passerelle_sms_spend_total", smsc="primary"), 25)
        self.assertEqual(b.metric("passerelle_messages_in_total", network="xmpp"), 3)
        self.assertEqual(b.metric("passerelle_messages_in_total", network="sms"), 1)
        self.assertEqual(b.metric("passerelle_messages_out_total", network="sms"), 3)
        self.assertEqual(b.metric("passerelle_messages_out_total", network="xmpp"), 1)
        wait_until(lambda: b.metric("passerelle_deliveries_total", outcome="delivered") == 3, timeout=10,
                   message="the SMSC's receipts for the three SMS")
        self.assertEqual(b.metric("passerelle_routing_seconds_count"), 4)
        self.assertEqual(b.metric("passerelle_connector_up", connector="smpp:primary"), 1)
        self.assertEqual(b.metric("passerelle_connector_reconnects", connector="smpp:primary"), 0)

    def test_sigterm_under_load_drains_and_exits_zero(self):
        smsc = self.smsc(delay_ms=10)
        b = self.bridge([("primary", smsc, {"window": 10, "throughput": 400})], sms={"default_monthly_cap": 0})
        alice = self.user("alice")
        for i in range(1500):
            alice.send_message(f"+3361{i:07d}@{SMS}", f"load {i}")
        time.sleep(1.5)
        self.assertEqual(b.sigterm(), 0)

        # What the bridge took before it stopped is all sent after a restart, once each;
        # a second copy only where a submit's outcome was unknown (recorded as such).
        def deliveries():
            with contextlib.closing(sqlite3.connect(b.data_dir / "passerelle.db")) as db:
                return db.execute("SELECT state, unknown_outcomes FROM deliveries").fetchall()
        taken = len(deliveries())
        self.assertLess(len(smsc.messages()), taken)  # some were still queued
        b.restart()
        self.wait_links_up(b)
        wait_until(lambda: b.metric("passerelle_outbox_depth") == 0, timeout=120,
                   message="the outbox empties after the restart")
        self.assertEqual(b.sigterm(), 0)
        rows = deliveries()
        self.assertEqual(len(rows), taken)
        self.assertLessEqual({state for state, _ in rows}, {"acked", "delivered"})
        texts = [m["text"] for m in smsc.messages() if m.get("command_status") == 0]
        self.assertEqual(len(set(texts)), taken)
        self.assertLessEqual(len(texts) - taken, sum(u for _, u in rows))

    # -- 2. offline fallback with a linked XMPP account ----------------------------------

    def test_offline_fallback_both_ways_and_not_while_online(self):
        smsc = self.smsc()
        self.bridge(
            [("primary", smsc, {})],
            people=[{"name": "bob", "phone": BOB_PHONE, "addresses": [f"xmpp:bob@{DOMAIN}"]}],
            accounts=[{"jid": f"bob@{DOMAIN}", "password": PASSWORDS["bob"], "host": "127.0.0.1",
                       "port": self.prosody.c2s_port, "person": "bob", "tls": "disabled"}])
        carol = self.user("carol")

        # Bob is offline everywhere: carol's message reaches his phone.
        carol.send_message(f"bob@{DOMAIN}", "are you coming tonight?")
        [sms] = smsc.wait_for_messages(1, timeout=15)
        self.assertEqual(sms["destination_addr"], BOB_PHONE.lstrip("+"))
        self.assertEqual(sms["text"], f"[XMPP] carol@{DOMAIN}: are you coming tonight?")

        # His SMS answer leaves from his own account, to carol.
        self.mo(smsc, BOB_PHONE, "yes, at 8")
        answer = carol.wait_message(lambda s: s.body == "yes, at 8", timeout=15)
        self.assertEqual(answer.bare_from, f"bob@{DOMAIN}")

        # Bob comes online: his client gets carol's next message, and no SMS leaves.
        bob = self.user("bob", priority=1)
        time.sleep(1.0)  # the bridge's resource drops to negative priority
        smsc.clear()
        carol.send_message(f"bob@{DOMAIN}", "great, see you")
        bob.wait_message(lambda s: s.body == "great, see you", timeout=15)
        time.sleep(1.5)
        self.assertEqual(smsc.messages(), [])

    def test_an_sms_answer_bounced_by_an_offline_contact_reaches_her_when_she_is_back(self):
        # Bob answers carol by SMS while she is offline; her server keeps nothing for her
        # and bounces what his linked account sends. The bridge holds it, and sends it again
        # when his account sees her come online (he is subscribed to her presence). The
        # timer is a minute here: only her presence can bring it within the wait below.
        smsc = self.smsc()
        b = self.bridge(
            [("primary", smsc, {})],
            people=[{"name": "bob", "phone": BOB_PHONE, "addresses": [f"xmpp:bob@{DOMAIN}"]}],
            accounts=[{"jid": f"bob@{DOMAIN}", "password": PASSWORDS["bob"], "host": "127.0.0.1",
                       "port": self.prosody.c2s_port, "person": "bob", "tls": "disabled"}],
            delivery={"retry_initial_ms": 60000, "retry_max_ms": 60000})
        carol = self.user("carol")
        bob = self.user("bob", priority=1)
        bob.send_presence(f"carol@{DOMAIN}", "subscribe")  # carol's client approves
        bob.wait_presence(lambda s: s.bare_from == f"carol@{DOMAIN}" and s.type == "", timeout=10)
        bob.stop()
        time.sleep(1.0)  # the bridge's resource takes the account's messages again

        carol.send_message(f"bob@{DOMAIN}", "call me when you can")
        smsc.wait_for_messages(1, timeout=15)
        carol.stop()
        time.sleep(1.0)
        self.mo(smsc, BOB_PHONE, "calling you at 6")

        def held():  # sent from bob's account, bounced by carol's server, held
            with contextlib.closing(sqlite3.connect(b.data_dir / "passerelle.db")) as db:
                return db.execute("SELECT COUNT(*) FROM deliveries WHERE recipient = ? AND state = 'routed' "
                                  "AND reason LIKE 'service-unavailable%'", (f"xmpp:carol@{DOMAIN}",)).fetchone()[0]
        wait_until(lambda: held() == 1, timeout=15, message="the answer bounced and held for carol")
        carol = self.user("carol")
        msg = carol.wait_message(lambda s: s.body == "calling you at 6", timeout=15)
        self.assertEqual(msg.bare_from, f"bob@{DOMAIN}")
        time.sleep(1.5)
        self.assertEqual([m.body for m in carol.messages() if m.body == "calling you at 6"],
                         ["calling you at 6"])

    # -- 3. two SMSCs, throttling and a dropped connection --------------------------------

    def test_two_smscs_throttled_and_dropped_nothing_lost(self):
        fr = self.smsc("fr", throttle_every=4, drop_after=9)
        uk = self.smsc("uk")
        b = self.bridge([("fr", fr, {"prefixes": ["+33"], "window": 4}),
                         ("uk", uk, {"prefixes": ["+44"]})],
                        sms={"sender_numbers": [SENDER]},
                        delivery={"retry_initial_ms": 100, "retry_max_ms": 500},
                        io_threads=3)  # the default is 1: the same story on several threads
        alice = self.user("alice")
        count = 20
        for i in range(count):
            alice.send_message(f"+3361111{i:04d}@{SMS}", f"fr {i}")
            alice.send_message(f"+44791112{i:04d}@{SMS}", f"uk {i}")

        def accepted(smsc, prefix):
            return {m["text"] for m in smsc.messages() if m.get("command_status") == 0
                    and m["text"].startswith(f"[XMPP] alice@{DOMAIN}: {prefix}")}

        wait_until(lambda: len(accepted(fr, "fr")) == count and len(accepted(uk, "uk")) == count,
                   timeout=60, message="every message accepted by its SMSC")
        self.assertTrue(all(m["text"].split(": ", 1)[1].startswith("uk") for m in uk.messages()))
        self.assertTrue(all(m["text"].split(": ", 1)[1].startswith("fr") for m in fr.messages()))
        stats = fr.stats()
        self.assertGreater(stats["by_status"].get("0x58", 0), 0, stats)
        self.assertEqual(stats["dropped"], 1, stats)
        # Duplicates only where the outcome was unknown, and counted.
        texts = [m["text"] for m in fr.messages() if m.get("command_status") == 0]
        dups = len(texts) - len(set(texts))
        unknown = b.metric("passerelle_deliveries_total", outcome="unknown") or 0
        self.assertLessEqual(dups, unknown)
        self.assertGreaterEqual(unknown, 1)  # the dropped submit_sm

    # -- 4. kill -9 with messages queued ----------------------------------------------------

    def test_kill9_with_hundreds_queued_then_all_delivered(self):
        smsc = self.smsc(delay_ms=200)
        b = self.bridge([("primary", smsc, {"window": 1, "throughput": 5})],
                        sms={"default_monthly_cap": 0})
        alice = self.user("alice")
        count = 300
        for i in range(count):
            alice.send_message(f"{PHONE}@{SMS}", f"queued {i}")
        # XEP-0114 has no acknowledgements: a message is the bridge's once it is committed,
        # that is once it is in the outbox (open) or already delivered.
        def committed():
            return ((b.metric("passerelle_outbox_depth") or 0) +
                    (b.metric("passerelle_deliveries_total", outcome="delivered") or 0))
        wait_until(lambda: committed() >= count, timeout=60, message="all messages committed")
        b.kill9()
        self.assertLess(len(smsc.messages()), count)  # most were still queued
        smsc.configure(delay_ms=0)
        b.config["sms"]["smsc"][0]["throughput"] = 500
        b.config["sms"]["smsc"][0]["window"] = 10
        b.write_config()
        b.restart()

        def delivered():
            return {m["text"] for m in smsc.messages() if m.get("command_status") == 0}
        wait_until(lambda: len(delivered()) == count, timeout=180, message="all 300 delivered after restart")

    def test_kill9_loses_no_receipt_it_answered(self):
        # A delivery receipt is answered once the state it brings is stored: every receipt
        # the SMSC saw answered is in the store when the bridge dies, and the SMSC delivers
        # the others again after the restart, so every message ends delivered.
        smsc = self.smsc()
        b = self.bridge([("primary", smsc, {"window": 64, "throughput": 200})],
                        sms={"default_monthly_cap": 0}, start=False)
        # Commits 30 ms apart: a receipt answered before its commit would be lost with
        # several others when the bridge dies.
        b.config["store"]["batch_delay_ms"] = 30
        b.write_config()
        b.start()
        self.wait_links_up(b)
        alice = self.user("alice")
        count = 400
        for i in range(count):
            alice.send_message(f"{PHONE}@{SMS}", f"receipt {i}", receipt=True)
        # All committed first (XEP-0114 has no acknowledgements: one on its way to the
        # bridge when it dies is lost, see the README); the SMSC takes 200 a second.
        wait_until(lambda: ((b.metric("passerelle_outbox_depth") or 0) +
                            (b.metric("passerelle_deliveries_total", outcome="delivered") or 0))
                   >= count, timeout=60, message="all messages committed")
        wait_until(lambda: smsc.stats().get("receipts_acked", 0) >= count // 3, timeout=60,
                   interval=0.005, message="a third of the receipts answered")
        b.kill9()
        answered = {m["text"] for m in smsc.messages() if m.get("receipts_acked")}

        def states():
            with contextlib.closing(sqlite3.connect(b.data_dir / "passerelle.db")) as db:
                return dict(db.execute("SELECT m.body, d.state FROM deliveries d "
                                       "JOIN messages m ON m.id = d.message_id"))
        stored = states()
        self.assertGreater(len(answered), 0)
        self.assertLess(len(answered), count)  # receipts were still coming
        self.assertEqual(sorted(t for t in answered if stored.get(t) != "delivered"), [])
        b.restart()
        self.wait_links_up(b)
        # (The text is stored as sent, with who it is from.)
        wait_until(lambda: sorted(states().values()) == ["delivered"] * count, timeout=120,
                   message=lambda: f"all {count} delivered after the restart: " +
                   str(sorted((t, s) for t, s in states().items() if s != "delivered")))

    def test_a_receipt_not_ours_is_answered_behind_a_throttled_backlog(self):
        # A receipt whose id no delivery has (another system's, or one from before a crash
        # whose submit_sm_resp was lost) can only name a submit_sm the SMSC has seen. The
        # messages waiting in the connector behind its throughput cannot be it: the receipt
        # is answered once the few submits on the wire have their answers, not after the
        # whole backlog, which would hold the SMSC's receipts (and its MO) meanwhile.
        smsc = self.smsc(delay_ms=100)
        b = self.bridge([("primary", smsc, {"window": 1, "throughput": 5})],
                        sms={"default_monthly_cap": 0})
        alice = self.user("alice")
        count = 30
        for i in range(count):
            alice.send_message(f"{PHONE}@{SMS}", f"backlog {i}")
        wait_until(lambda: ((b.metric("passerelle_outbox_depth") or 0) +
                            (b.metric("passerelle_deliveries_total", outcome="delivered") or 0))
                   >= count, timeout=60, message="all messages committed")
        receipt = ("id:not-ours-1 sub:001 dlvrd:001 submit date:2611251200 "
                   "done date:2611251201 stat:DELIVRD err:000 text:").encode().hex()
        started = time.monotonic()
        answer = smsc.mo(PHONE, SENDER, "", hex=receipt, esm_class=4, data_coding=0,
                         timeout_ms=15000, timeout=20)
        took = time.monotonic() - started
        self.assertTrue(answer.get("ok"), answer)
        self.assertEqual(answer.get("status"), 0, answer)
        sent = len([m for m in smsc.messages() if m.get("command_status") == 0])
        self.assertLess(sent, count - 10, "answered only after the backlog went out")
        self.assertLess(took, 3.0)

    def test_kill9_between_the_parts_of_a_long_sms_loses_nothing(self):
        # The SMSC sends each part once the previous one is answered (window 1): the bridge
        # answers a part after part_hold_ms, before the message is whole, and keeps it on
        # disk until the message is committed.
        smsc = self.smsc()
        b = self.bridge([("primary", smsc, {"part_hold_ms": 100})])
        alice = self.user("alice")
        alice.send_message(f"{PHONE}@{SMS}", "send me the long version")
        smsc.wait_for_messages(1)
        time.sleep(0.5)  # the SMSC's answer reaches the bridge: the thread is recorded
        reply = "Voici la version longue, en trois parties envoyées une à une. " * 3
        # Two parts reach the bridge and are answered; then it dies.
        answer = self.mo(smsc, PHONE, reply, split=3, order=[1, 2], ref=77)
        self.assertEqual(answer.get("statuses"), [0, 0], answer)
        b.restart(kill=True)
        self.wait_links_up(b)
        # The SMSC sends the last part to the restarted bridge: the whole text arrives, once.
        self.mo(smsc, PHONE, reply, split=3, order=[3], ref=77)
        msg = alice.wait_message(lambda s: s.body == reply, timeout=15)
        self.assertEqual(msg.bare_from, f"{PHONE}@{SMS}")
        self.assertIn("2 part(s) of 1 long SMS kept from before the restart", b.tail(200))
        time.sleep(1)
        self.assertEqual([m.body for m in alice.messages() if m.body == reply], [reply])
        # Committed: nothing is kept any more.
        journal = b.data_dir / "sms-parts-primary.journal"
        self.assertTrue(not journal.exists() or journal.stat().st_size == 0,
                        journal.read_text() if journal.exists() else "")

    # -- 5. spending cap, and users who may not use the bridge ------------------------------

    def test_spending_cap_and_forbidden_user(self):
        smsc = self.smsc()
        b = self.bridge([("primary", smsc, {"tariff": {"+": 5}})],
                    sms={"default_monthly_cap": 12},
                    access={"allow_jids": [f"alice@{DOMAIN}"], "allow_domains": []})
        alice = self.user("alice")
        dave = self.user("dave")
        for i in range(2):
            alice.send_message(f"{PHONE}@{SMS}", f"paid {i}")
        smsc.wait_for_messages(2)
        sid = alice.send_message(f"{PHONE}@{SMS}", "over the cap")
        err = alice.wait_error(lambda s: s.id == sid, timeout=10)
        self.assertEqual(err.error_condition, "policy-violation")
        self.assertIn("cap", err.error_text or "")

        sid = dave.send_message(f"{PHONE}@{SMS}", "let me in")
        err = dave.wait_error(lambda s: s.id == sid, timeout=10)
        self.assertEqual(err.error_condition, "forbidden")
        time.sleep(1.0)
        self.assertEqual(len(smsc.messages()), 2)
        # The charges add up: one record per segment sent, nothing for what was refused.
        self.assertEqual(b.metric("passerelle_sms_spend_total", smsc="primary"), 10)
        self.assertEqual(b.sigterm(), 0)
        with contextlib.closing(sqlite3.connect(b.data_dir / "passerelle.db")) as db:
            rows = db.execute("SELECT payer, COUNT(*), SUM(price) FROM charges GROUP BY payer").fetchall()
        self.assertEqual(rows, [(f"xmpp:alice@{DOMAIN}", 2, 10)])

    # -- 6. bad input ------------------------------------------------------------------------

    def test_bad_numbers_get_stanza_errors(self):
        smsc = self.smsc()
        self.bridge([("primary", smsc, {})])
        alice = self.user("alice")
        for bad in ("12", "not-a-number", "+999123"):
            sid = alice.send_message(f"{bad}@{SMS}", "hi")
            err = alice.wait_error(lambda s, sid=sid: s.id == sid, timeout=10)
            self.assertEqual(err.error_condition, "bad-request", err)
            self.assertIn(f"'{bad}' is not a", err.error_text or "")  # says which, in words
        time.sleep(0.5)
        self.assertEqual(smsc.messages(), [])


if __name__ == "__main__":
    unittest.main()
