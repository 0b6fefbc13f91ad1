"""RCS end to end: the daemon between a real Prosody (users driven by slixmpp), the in-tree
MaaP platform test server (two carriers' chatbot platforms, tests/peers/rcs) and the SMSC
simulator on npm smpp, all on 127.0.0.1.

    /usr/bin/python3 -m unittest tests.integration.test_rcs -v
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.procs import wait_until  # noqa: E402
from lib.rcs_stage import (DOMAIN, PHONE_A, PHONE_A2, PHONE_B, PORTED, RCS, SENDER,  # noqa: E402
                           RcsStage)


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

    # -- 5. bad input and a platform that is down ----------------------------------------

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
