"""RCS end to end: the daemon between a real Prosody (users driven by slixmpp), the in-tree
MaaP platform test server (two carriers' chatbot platforms, tests/peers/rcs) and the SMSC
simulator on npm smpp, all on 127.0.0.1.

    /usr/bin/python3 -m unittest tests.integration.test_rcs -v
"""

import contextlib
import http.client
import json
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.bridge import smsc_table  # noqa: E402
from lib.procs import wait_until  # noqa: E402
from lib.rcs_stage import (DOMAIN, HOOK, PHONE_A, PHONE_A2, PHONE_B, PORTED, RCS, SENDER,  # noqa: E402
                           RcsStage)
from lib.smsc import Smsc  # noqa: E402
from tests.peers.rcs import maap  # noqa: E402


class RcsStories(RcsStage):
    # -- 1. XMPP user <-> RCS phone ------------------------------------------------------

    def test_text_receipts_and_typing_both_ways(self):
        self.bridge()
        alice = self.user("alice")
        sid = alice.send_message(f"{PHONE_A}@{RCS}", "hello phone", receipt=True)
        [sent] = self.wait_sent("carrier-a", PHONE_A)
        self.assertEqual(self.text_of(sent), f"[XMPP] alice@{DOMAIN}: hello phone")
        self.assertEqual(sent["bot"], "bot-a")
        receipt = alice.wait_receipt(sid, timeout=15)  # from the platform's "delivered"
        self.assertEqual(receipt.bare_from, f"{PHONE_A}@{RCS}")
        self.assertEqual(self.smsc.messages(), [])

        # The phone types, then answers the chatbot: alice gets both from the puppet.
        self.maap.control("phone_typing", number=PHONE_A, state="active", bot="bot-a")
        state = alice.wait_chat_state("composing", timeout=10)
        self.assertEqual(state.bare_from, f"{PHONE_A}@{RCS}")
        self.maap.control("phone_send_text", number=PHONE_A, text="hi alice, from RCS", bot="bot-a")
        msg = alice.wait_message(lambda s: s.body == "hi alice, from RCS", timeout=10)
        self.assertEqual(msg.bare_from, f"{PHONE_A}@{RCS}")

        # alice types: the phone sees the chatbot typing.
        since = self.maap.last_seq()
        alice.send_chat_state(f"{PHONE_A}@{RCS}", "composing")
        wait_until(lambda: self.maap.events("bot_typing", since), timeout=10,
                   message="typing from the chatbot")

    # -- 3. SMS where there is no RCS, and after the fallback time ---------------------

    def test_a_number_without_rcs_gets_sms_and_its_reply_threads_back(self):
        self.bridge()
        alice = self.user("alice")
        sid = alice.send_message(f"{PHONE_A2}@{RCS}", "are you there?", receipt=True)
        [sms] = self.smsc.wait_for_messages(1)
        self.assertEqual(sms["destination_addr"], PHONE_A2.lstrip("+"))
        self.assertEqual(sms["text"], f"[XMPP] alice@{DOMAIN}: are you there?")
        alice.wait_receipt(sid, timeout=15)  # the SMS's delivery report
        self.assertEqual(self.sent_to("carrier-a", PHONE_A2), [])
        answer = self.smsc.mo(PHONE_A2, SENDER, "yes, by SMS")
        self.assertTrue(answer.get("ok"), answer)
        msg = alice.wait_message(lambda s: s.body == "yes, by SMS", timeout=10)
        self.assertEqual(msg.bare_from, f"{PHONE_A2}@{RCS}")
        # The capability is cached: a second message asks nothing and goes by SMS again.
        alice.send_message(f"{PHONE_A2}@{RCS}", "second")
        self.smsc.wait_for_messages(2)

    def test_undelivered_in_time_is_revoked_and_sent_by_sms_exactly_once(self):
        self.maap.control("set_phone", number=PHONE_A, online=False)
        self.bridge(fallback_after_s=2)
        alice = self.user("alice")
        alice.send_message(f"{PHONE_A}@{RCS}", "are you online?")
        [sent] = self.wait_sent("carrier-a", PHONE_A)
        [sms] = self.smsc.wait_for_messages(1, timeout=15)
        self.assertEqual(sms["text"], f"[XMPP] alice@{DOMAIN}: are you online?")
        status = self.maap.control("message", msg_id=sent["msg_id"])
        self.assertIn("cancelled", json.dumps(status))
        # The phone coming online later gets nothing (it was revoked), and no second SMS.
        self.maap.control("set_phone", number=PHONE_A, online=True)
        time.sleep(3)
        self.assertEqual(len(self.smsc.messages()), 1)

    # -- 4. two carriers and number portability ------------------------------------------

    def test_each_number_goes_through_its_carrier_and_ported_numbers_follow_the_table(self):
        table = self.tmp / "ported.csv"
        table.write_text("number,platform,smsc\n")
        self.bridge(portability_file=str(table))
        alice = self.user("alice")
        alice.send_message(f"{PHONE_B}@{RCS}", "to carrier b")
        [sent] = self.wait_sent("carrier-b", PHONE_B)
        self.assertEqual(sent["bot"], "bot-b")
        # Not in the table yet: its range says carrier-a, which does not know it (no RCS
        # there): SMS.
        alice.send_message(f"{PORTED}@{RCS}", "before the table")
        self.smsc.wait_for_messages(1, timeout=15)
        # The table is read again while running: now it goes to carrier-b.
        time.sleep(1.1)  # a new modification time
        table.write_text(f"number,platform,smsc\n{PORTED},carrier-b,\n")
        time.sleep(3)
        alice.send_message(f"{PORTED}@{RCS}", "after the table")
        [sent] = self.wait_sent("carrier-b", PORTED)
        self.assertEqual(self.text_of(sent), f"[XMPP] alice@{DOMAIN}: after the table")

    def test_a_ported_number_goes_by_sms_through_the_smsc_its_row_names(self):
        # Two SMSCs: "primary" serves carrier-a's prefix, "other" carrier-b's. The table
        # moves PHONE_A2 (no RCS anywhere) to carrier-b and its SMSC.
        other = Smsc(self.tmp, name="smsc-other", receipts=True)
        other.start()
        self.addCleanup(other.stop)
        link = {"reconnect_initial_ms": 200, "reconnect_max_ms": 1000, "enquire_link_s": 5}
        table = self.tmp / "ported.csv"
        table.write_text(f"number,platform,smsc\n{PHONE_A2},carrier-b,other\n")
        self.bridge(portability_file=str(table), config={"sms": {"smsc": [
            smsc_table("primary", self.smsc.port, prefixes=["+3361"], **link),
            smsc_table("other", other.port, prefixes=["+3362"], **link)]}})
        alice = self.user("alice")
        # A number of the same range that is not in the table: its prefix's SMSC.
        unlisted = "+33611111119"
        alice.send_message(f"{unlisted}@{RCS}", "by the range")
        [sms] = self.smsc.wait_for_messages(1, timeout=15)
        self.assertEqual(sms["destination_addr"], unlisted.lstrip("+"))
        # The ported number: the SMSC its row names, whatever its prefix says.
        alice.send_message(f"{PHONE_A2}@{RCS}", "by the table")
        [sms] = other.wait_for_messages(1, timeout=15)
        self.assertEqual(sms["destination_addr"], PHONE_A2.lstrip("+"))
        self.assertEqual(sms["text"], f"[XMPP] alice@{DOMAIN}: by the table")
        time.sleep(1)  # a second copy through the prefix's SMSC would be here by now
        self.assertEqual([m["destination_addr"] for m in self.smsc.messages()], [unlisted.lstrip("+")])
        self.assertEqual(len(other.messages()), 1)
        self.assertEqual(self.sent_to("carrier-a", PHONE_A2) + self.sent_to("carrier-b", PHONE_A2), [])

    # -- 5. bad input and a platform that is down ----------------------------------------

    def test_a_webhook_event_answered_200_survives_a_kill_9(self):
        b = self.bridge()
        alice = self.user("alice")
        alice.send_message(f"{PHONE_A}@{RCS}", "write to me")
        self.wait_sent("carrier-a", PHONE_A)
        time.sleep(0.5)  # taken: the phone's answers thread to alice
        text = "answered just before a crash"
        event = maap.ev_message("phone-msg-commit-1", PHONE_A, {"textMessage": text})
        # Posted straight to the bridge's webhook (not through the platform, which would
        # send it again on its own), and the bridge killed as soon as it answers: a 200
        # promises the event is on disk.
        status = self.post_event(event)
        b.kill9()
        self.assertEqual(status, 200)
        db = sqlite3.connect(b.data_dir / "passerelle.db")
        self.addCleanup(db.close)
        [(message_id,)] = db.execute("SELECT id FROM messages WHERE origin_id = ?",
                                     ("phone-msg-commit-1",)).fetchall()

        # After the restart alice has it: once, or twice where the bridge had sent it
        # without recording so before the crash (at least once, and then said so).
        b.start(wait_ready=True)
        alice.wait_message(lambda s: s.body == text, timeout=15)
        # The platform delivers the same event again: answered, not delivered twice.
        self.assertEqual(self.post_event(event), 200)
        time.sleep(2)
        [(unknown,)] = db.execute("SELECT COALESCE(SUM(unknown_outcomes), 0) FROM deliveries "
                                  "WHERE message_id = ?", (message_id,)).fetchall()
        copies = [m.body for m in alice.messages() if m.body == text]
        self.assertEqual(len(copies), 1 + unknown, copies)

    def test_a_status_event_answered_200_survives_a_kill_9(self):
        # Commits 30 ms apart: a status answered before its commit would die with the bridge.
        b = self.bridge(config={"store": {"batch_delay_ms": 30}})
        self.maap.control("set_phone", number=PHONE_A, online=False)  # the platform reports nothing
        alice = self.user("alice")
        alice.send_message(f"{PHONE_A}@{RCS}", "tell me when you have it", receipt=True)
        [sent] = self.wait_sent("carrier-a", PHONE_A)
        msg_id = sent["request"]["RCSMessage"]["msgId"]

        def state():
            with contextlib.closing(sqlite3.connect(b.data_dir / "passerelle.db")) as db:
                return db.execute("SELECT state FROM deliveries WHERE id = ?", (msg_id,)).fetchall()
        wait_until(lambda: state() == [("acked",)], timeout=10, message="the platform's answer stored")
        status = self.post_event(maap.ev_status(msg_id, PHONE_A, "delivered"))
        b.kill9()
        self.assertEqual(status, 200)
        self.assertEqual(state(), [("delivered",)])

    def test_a_message_bounced_while_the_user_is_offline_reaches_her_when_she_is_back(self):
        # Her server keeps nothing for users who are offline (no offline storage here):
        # it bounces what the bridge sends her. The bridge keeps the message and sends it
        # again as soon as her presence comes back.
        b = self.bridge()
        alice = self.user("alice")
        alice.send_presence(f"{PHONE_A}@{RCS}", "subscribe")
        alice.wait_presence(lambda s: s.bare_from == f"{PHONE_A}@{RCS}" and s.type == "", timeout=10)
        alice.send_message(f"{PHONE_A}@{RCS}", "write to me later")
        self.wait_sent("carrier-a", PHONE_A)
        time.sleep(0.5)
        alice.stop()
        time.sleep(1)  # her unavailable presence reaches the bridge
        text = "sent while you were away"
        self.maap.control("phone_send_text", number=PHONE_A, text=text, bot="bot-a")

        def bounced():  # taken by the bridge, sent to her server, bounced, held
            with contextlib.closing(sqlite3.connect(b.data_dir / "passerelle.db")) as db:
                return db.execute("SELECT COUNT(*) FROM deliveries WHERE recipient = ? AND state = 'routed' "
                                  "AND reason LIKE 'service-unavailable%'", (f"xmpp:alice@{DOMAIN}",)).fetchone()[0]
        wait_until(lambda: bounced() == 1, timeout=15, message="the message bounced and held for alice")
        alice = self.user("alice")
        msg = alice.wait_message(lambda s: s.body == text, timeout=15)
        self.assertEqual(msg.bare_from, f"{PHONE_A}@{RCS}")
        time.sleep(2)
        self.assertEqual([m.body for m in alice.messages() if m.body == text], [text])

    def post_event(self, event) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.webhook_port, timeout=10)
        try:
            conn.request("POST", "/rcs/carrier-a", body=json.dumps(event).encode(),
                         headers={"Content-Type": "application/json", "Authorization": HOOK["carrier-a"]})
            return conn.getresponse().status
        finally:
            conn.close()

    def test_bad_webhook_requests_are_refused_and_nothing_is_stored_twice(self):
        b = self.bridge()
        alice = self.user("alice")
        alice.send_message(f"{PHONE_A}@{RCS}", "hello")
        self.wait_sent("carrier-a", PHONE_A)
        event = {"RCSMessage": {"msgId": "phone-msg-1", "timestamp": "2026-11-24T10:00:00Z",
                                "textMessage": "only once"},
                 "messageContact": {"userContact": PHONE_A}, "event": "message"}

        def raw(**kw):
            return self.maap.control("webhook_raw", platform="carrier-a", bot="bot-a", **kw)

        self.assertEqual(raw(json=event, auth="none")["status"], 401)
        self.assertEqual(raw(json=event, auth="Bearer wrong")["status"], 401)
        self.assertEqual(raw(body="{not json", auth="good")["status"], 400)
        self.assertEqual(raw(body="x", repeat=400000, auth="good")["status"], 413)
        self.assertEqual(raw(json={"event": "somethingNew", "RCSMessage": {"msgId": "z"}},
                             auth="good")["status"], 200)
        self.assertEqual(raw(json=event, auth="good")["status"], 200)
        self.assertEqual(raw(json=event, auth="good")["status"], 200)  # sent again
        alice.wait_message(lambda s: s.body == "only once", timeout=10)
        time.sleep(1)
        self.assertEqual([m.body for m in alice.messages() if m.body == "only once"], ["only once"])
        self.assertGreaterEqual(
            b.metric("passerelle_rcs_webhook_requests_total", platform="carrier-a", status="401") or 0, 2)
        # The bridge dies (as if before its answer reached the platform), and the platform
        # sends the event again to the restarted bridge: stored once, delivered once.
        b.restart(kill=True, wait_ready=True)
        self.assertEqual(raw(json=event, auth="good")["status"], 200)
        time.sleep(2)
        self.assertEqual([m.body for m in alice.messages() if m.body == "only once"], ["only once"])

    def test_a_platform_that_is_down_shows_on_readyz_and_messages_wait_for_it(self):
        b = self.bridge()
        alice = self.user("alice")
        # Every API call answered 503 until cleared: the platform is down.
        self.maap.control("set_fault", platform="carrier-a", kind="api_status", status=503,
                          count=-1)
        alice.send_message(f"{PHONE_A}@{RCS}", "while down")

        def down():
            doc = b.get_json("/readyz")
            return any(c["name"] == "rcs:carrier-a" and c["state"] != "up" for c in doc["connectors"])
        wait_until(down, timeout=15, message="rcs:carrier-a not up on /readyz")
        self.assertEqual(self.sent_to("carrier-a", PHONE_A), [])
        self.assertEqual(b.metric("passerelle_connector_up", connector="rcs:carrier-a"), 0)
        self.maap.control("clear_faults", platform="carrier-a")
        [sent] = self.wait_sent("carrier-a", PHONE_A, timeout=20)
        self.assertEqual(self.text_of(sent), f"[XMPP] alice@{DOMAIN}: while down")
        b.wait_ready(timeout=20)
        self.assertEqual(self.smsc.messages(), [])


if __name__ == "__main__":
    unittest.main()
