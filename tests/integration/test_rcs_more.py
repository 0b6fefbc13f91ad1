"""RCS stories beyond text, against the same stage as test_rcs (Prosody + slixmpp, the
in-tree MaaP platform server, the SMSC simulator, all on 127.0.0.1): a file from an XMPP
user reaches a phone as an RCS file; the SMS fallback of a message taken before a restart
still happens after it; a pool of chatbots gives each conversation its own chatbot.

    /usr/bin/python3 -m unittest tests.integration.test_rcs_more -v
"""

import contextlib
import hashlib
import http.server
import json
import os
import sqlite3
import sys
import threading
import time
import unittest
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lib.procs import wait_until  # noqa: E402
from lib.rcs_stage import DOMAIN, HOOK, PHONE_A, PHONE_A2, PHONE_B, RCS, RcsStage  # noqa: E402


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test log readable
        pass


class FileServer:
    """A plain HTTP server on 127.0.0.1 serving one directory: the XMPP user's own upload
    service, as far as the bridge can tell (XEP-0363 hands out such links)."""

    def __init__(self, directory):
        handler = lambda *a, **kw: _Quiet(*a, directory=str(directory), **kw)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def url(self, name):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RcsMoreStories(RcsStage):
    # carrier-a has a second chatbot for the pool story (its webhook is set in that test).
    maap_platform_keys = {"carrier-a": {"bots": [{"id": "bot-a"}, {"id": "bot-a2"}]}}

    def send_with_link(self, user, to, url, receipt=True):
        """A message as XMPP clients send an uploaded file: the link as the body and as a
        XEP-0066 element."""
        sid = f"oob-{time.monotonic_ns()}"
        user.send_raw(
            f"<message to='{escape(to)}' type='chat' id='{sid}'><body>{escape(url)}</body>"
            f"<x xmlns='jabber:x:oob'><url>{escape(url)}</url></x>"
            + ("<request xmlns='urn:xmpp:receipts'/>" if receipt else "") + "</message>")
        return sid

    def test_a_file_from_xmpp_reaches_the_phone_as_an_rcs_file(self):
        files = self.tmp / "uploads"
        files.mkdir()
        payload = os.urandom(3 * 1000 * 1000 + 17)
        (files / "holiday.bin").write_bytes(payload)
        server = FileServer(files).start()
        self.addCleanup(server.stop)
        b = self.bridge()
        alice = self.user("alice")
        url = server.url("holiday.bin")
        sid = self.send_with_link(alice, f"{PHONE_A}@{RCS}", url)

        # Who it is from, then the file, uploaded to the platform by the chatbot.
        caption, file_msg = self.wait_sent("carrier-a", PHONE_A, count=2, timeout=20)
        self.assertEqual(self.text_of(caption), f"[XMPP] alice@{DOMAIN}: holiday.bin")
        fm = file_msg["request"]["RCSMessage"]["fileMessage"]
        self.assertEqual(fm.get("fileName"), "holiday.bin")
        self.assertEqual(fm.get("fileSize"), len(payload))
        uploaded = [f for f in self.maap.control("files", platform="carrier-a")["files"]
                    if f.get("size") == len(payload)]
        self.assertEqual(len(uploaded), 1, uploaded)
        self.assertEqual(uploaded[0]["sha256"], hashlib.sha256(payload).hexdigest())
        self.assertIn(uploaded[0]["url"], fm["fileUrl"])
        # The phone's "delivered" for the file is alice's receipt; the caption's is not.
        receipt = alice.wait_receipt(sid, timeout=15)
        self.assertEqual(receipt.bare_from, f"{PHONE_A}@{RCS}")
        # Nothing was left behind in the files directory (the fetched copy is deleted).
        self.assertEqual([p.name for p in (b.data_dir / "files").glob("out-*")], [])
        self.assertEqual(self.smsc.messages(), [])

    def test_a_file_to_a_phone_without_rcs_goes_by_sms_as_its_link(self):
        self.bridge()
        alice = self.user("alice")
        url = "https://upload.example.org/u/abc/photo.jpg"
        self.send_with_link(alice, f"{PHONE_A2}@{RCS}", url, receipt=False)
        [sms] = self.smsc.wait_for_messages(1, timeout=15)
        self.assertEqual(sms["text"], f"[XMPP] alice@{DOMAIN}: {url}")

    def test_the_fallback_of_a_message_taken_before_a_restart_happens_after_it(self):
        self.maap.control("set_phone", number=PHONE_A, online=False)
        b = self.bridge(fallback_after_s=4)
        alice = self.user("alice")
        alice.send_message(f"{PHONE_A}@{RCS}", "still there?")
        [sent] = self.wait_sent("carrier-a", PHONE_A)
        # Taken by the platform; the daemon dies before the fallback time.
        time.sleep(0.5)
        b.restart(kill=True, wait_ready=True)
        [sms] = self.smsc.wait_for_messages(1, timeout=20)
        self.assertEqual(sms["text"], f"[XMPP] alice@{DOMAIN}: still there?")
        status = self.maap.control("message", msg_id=sent["msg_id"])
        self.assertIn("cancelled", str(status))
        self.maap.control("set_phone", number=PHONE_A, online=True)
        time.sleep(2)
        self.assertEqual(len(self.smsc.messages()), 1)
        self.assertEqual(len(self.sent_to("carrier-a", PHONE_A)), 1)  # not sent again

    def test_a_message_taken_whose_answer_was_lost_is_not_failed_when_sent_again(self):
        """The platform takes the message but answers after the bridge's timeout (2 s); the
        bridge sends it again with the same msgId and a strict platform answers 409. The
        message counts as taken (a receipt once delivered, no error) and the phone has it once."""
        self.maap.control("set_platform", platform="carrier-a", reused_msg_id="conflict")
        self.maap.control("set_phone", number=PHONE_A, online=False)  # no "delivered" yet
        self.maap.control("set_fault", platform="carrier-a", kind="answer_delay", delay=3,
                          path="/messages")
        self.bridge()
        alice = self.user("alice")
        since = self.maap.last_seq()
        sid = alice.send_message(f"{PHONE_A}@{RCS}", "taken once", receipt=True)
        [sent] = self.wait_sent("carrier-a", PHONE_A)
        self.assertEqual(self.text_of(sent), f"[XMPP] alice@{DOMAIN}: taken once")

        def conflicts():
            return [e for e in self.maap.events("api", since)
                    if e["status"] == 409 and e["method"] == "POST"]
        wait_until(lambda: conflicts(), timeout=15, message="the second attempt answered 409")
        self.maap.control("set_phone", number=PHONE_A, online=True)
        alice.wait_receipt(sid, timeout=15)
        time.sleep(1)
        self.assertEqual([s for s in alice.messages() if s.type == "error"], [])
        self.assertEqual(len(self.sent_to("carrier-a", PHONE_A)), 1)
        self.assertEqual(self.smsc.messages(), [])

    def test_a_pool_of_chatbots_gives_each_person_their_own(self):
        self.maap.control("set_webhook", platform="carrier-a", bot="bot-a2",
                          url=f"http://127.0.0.1:{self.webhook_port}/rcs/carrier-a/bot-a2",
                          token=HOOK["carrier-a"])
        self.bridge(platforms={"carrier-a": {"pool_bots": ["bot-a2"]}})
        alice, bob = self.user("alice"), self.user("bob")
        alice.send_message(f"{PHONE_A}@{RCS}", "from alice")
        self.wait_sent("carrier-a", PHONE_A, count=1)
        time.sleep(0.5)  # taken (acked) before bob writes: his conversation is the second
        bob.send_message(f"{PHONE_A}@{RCS}", "from bob")
        first, second = self.wait_sent("carrier-a", PHONE_A, count=2)
        self.assertEqual(first["bot"], "bot-a")
        self.assertEqual(second["bot"], "bot-a2")
        # The phone answers each chatbot without "@": each answer reaches its person.
        self.maap.control("phone_send_text", number=PHONE_A, text="hi bob", bot="bot-a2")
        self.maap.control("phone_send_text", number=PHONE_A, text="hi alice", bot="bot-a")
        got_b = bob.wait_message(lambda s: s.body == "hi bob", timeout=10)
        got_a = alice.wait_message(lambda s: s.body == "hi alice", timeout=10)
        self.assertEqual(got_b.bare_from, f"{PHONE_A}@{RCS}")
        self.assertEqual(got_a.bare_from, f"{PHONE_A}@{RCS}")
        self.assertFalse([m for m in alice.messages() if m.body == "hi bob"])
        self.assertFalse([m for m in bob.messages() if m.body == "hi alice"])

    def test_phones_of_two_carriers_talk_through_their_own_chatbots(self):
        self.bridge(config={"rcs": {"phones_may_start": True}})
        # carrier-a's subscriber starts; carrier-b's gets it from its own carrier's chatbot.
        self.maap.control("phone_send_text", number=PHONE_A, text=f"@rcs:{PHONE_B} hello b",
                          bot="bot-a")
        [to_b] = self.wait_sent("carrier-b", PHONE_B)
        self.assertEqual(to_b["bot"], "bot-b")
        self.assertEqual(self.text_of(to_b), f"[RCS] {PHONE_A}: hello b")
        time.sleep(0.5)  # taken, so that b's answer threads to a
        self.maap.control("phone_send_text", number=PHONE_B, text="hi a", bot="bot-b")
        [to_a] = self.wait_sent("carrier-a", PHONE_A)
        self.assertEqual(self.text_of(to_a), f"[RCS] {PHONE_B}: hi a")
        # No "@" needed any more, either way.
        self.maap.control("phone_send_text", number=PHONE_A, text="and again", bot="bot-a")
        _, again = self.wait_sent("carrier-b", PHONE_B, count=2)
        self.assertEqual(self.text_of(again), f"[RCS] {PHONE_A}: and again")
        # A phone without RCS in carrier-a's range gets SMS.
        self.maap.control("phone_send_text", number=PHONE_B, text=f"@sms:{PHONE_A2} hi there",
                          bot="bot-b")
        [sms] = self.smsc.wait_for_messages(1, timeout=15)
        self.assertEqual(sms["text"], f"[RCS] {PHONE_B}: hi there")

    def test_a_photo_between_carriers_keeps_its_thumbnail(self):
        b = self.bridge(config={"rcs": {"phones_may_start": True}})
        self.maap.control("phone_send_text", number=PHONE_A, text=f"@rcs:{PHONE_B} look", bot="bot-a")
        self.wait_sent("carrier-b", PHONE_B)
        time.sleep(0.5)  # taken: the photo follows the thread
        sent = self.maap.control("phone_send_file", number=PHONE_A, bot="bot-a", size=300_000, seed=3,
                                 name="beach.jpg", content_type="image/jpeg", thumbnail_size=6_000,
                                 thumbnail_seed=4, thumbnail_type="image/png")
        _, caption, photo = self.wait_sent("carrier-b", PHONE_B, count=3, timeout=20)
        self.assertEqual(self.text_of(caption), f"[RCS] {PHONE_A}: beach.jpg")
        fm = photo["request"]["RCSMessage"]["fileMessage"]
        self.assertEqual(fm.get("fileSize"), 300_000)
        # The thumbnail went through the bridge (fetched from carrier-a, uploaded to
        # carrier-b) unchanged, and carrier-b's message names it.
        self.assertEqual(fm.get("thumbnailMIMEType"), "image/png")
        self.assertEqual(fm.get("thumbnailFileSize"), 6_000)
        self.assertIsNotNone(photo["thumbnail"], photo)
        self.assertEqual(photo["thumbnail"]["platform"], "carrier-b")
        self.assertEqual(photo["thumbnail"]["sha256"], sent["thumbnail"]["sha256"])
        self.assertEqual(photo["file"]["sha256"], sent["sha256"])
        self.assertIn(photo["thumbnail"]["url"], fm["thumbnailUrl"])
        # The message as stored keeps it (a delivery retried after a restart has it too).
        self.assertEqual(b.sigterm(), 0)
        with contextlib.closing(sqlite3.connect(b.data_dir / "passerelle.db")) as db:
            rows = db.execute("SELECT attachments FROM messages WHERE attachments != ''").fetchall()
        self.assertEqual(len(rows), 1, rows)
        [stored] = json.loads(rows[0][0])
        self.assertEqual(stored["thumbnail"]["type"], "image/png")
        self.assertEqual(stored["thumbnail"]["size"], 6_000)

    def test_phones_do_not_start_conversations_unless_allowed(self):
        self.bridge()
        self.maap.control("phone_send_text", number=PHONE_A, text=f"@rcs:{PHONE_B} hello b",
                          bot="bot-a")
        [notice] = self.wait_sent("carrier-a", PHONE_A)
        self.assertIn("has not written to you here", self.text_of(notice))
        # The help carries the commands it mentions as suggested replies.
        chips = notice["request"]["RCSMessage"]["suggestedChipList"]["suggestions"]
        self.assertEqual([c["reply"]["displayText"] for c in chips], ["STOP", "START"])
        time.sleep(1)
        self.assertEqual(self.sent_to("carrier-b", PHONE_B), [])
        self.assertEqual(self.smsc.messages(), [])


if __name__ == "__main__":
    unittest.main()
