"""Files from RCS phones, end to end: a phone on the in-tree MaaP platform test server sends
a file to the chatbot (the daemon), which fetches it from the platform, keeps it under
[files] dir and gives the XMPP user of the phone's latest conversation a link to it
(message body = the URL, plus a XEP-0066 <x xmlns='jabber:x:oob'>), served by the admin
HTTP server at /files/{token}/{name}. Real Prosody and slixmpp, all on 127.0.0.1.

    /usr/bin/python3 -m unittest tests.integration.test_rcs_files -v
"""

import hashlib
import http.client
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.memwatch import RssSampler, proc_memory  # noqa: E402
from lib.procs import wait_until  # noqa: E402
from lib.rcs_stage import PHONE_A, RCS, RcsStage  # noqa: E402
from tests.peers.rcs import maap  # noqa: E402
from tests.peers.rcs.files import deterministic_chunks  # noqa: E402

MIB = 1024 * 1024
BIG = 100 * MIB
RSS_SLACK = 8 * MIB        # the bridge's resident memory may grow this much while relaying BIG
TOKEN = re.compile(r"^[a-z2-7]{32}$")


def human_size(n: int) -> str:
    """Sizes as the bridge tells them to people: decimal units, one decimal."""
    if n < 1000:
        return f"{n} bytes"
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if n < scale * 1000 or unit == "GB":
            return f"{n / scale:.1f} {unit}"
    raise AssertionError("unreachable")


def fetch(url: str, *, method: str = "GET", headers: dict | None = None, keep: int = 0,
          timeout: float = 30.0) -> dict:
    """One HTTP request, the body streamed through sha256 (never held whole; the first
    `keep` bytes are kept). -> {status, headers (lower-case keys), size, sha256, head}."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), headers=headers or {})
        r = conn.getresponse()
        sha, size, head = hashlib.sha256(), 0, bytearray()
        while True:
            piece = r.read(1 << 20)
            if not piece:
                break
            sha.update(piece)
            size += len(piece)
            if len(head) < keep:
                head.extend(piece[:keep - len(head)])
        return {"status": r.status, "headers": {k.lower(): v for k, v in r.getheaders()}, "size": size,
                "sha256": sha.hexdigest(), "head": bytes(head)}
    finally:
        conn.close()


def content_of(size: int, seed: int) -> bytes:
    """The bytes the platform generates for phone_send_file(size, seed) (small files only)."""
    return b"".join(deterministic_chunks(size, seed))


class RcsFiles(RcsStage):
    # A 100 MiB fetch on a busy two-core machine may take longer than test_rcs's 5 s
    # webhook timeout; the stories below that want a timeout set one themselves.
    webhook_retry_a = {"initial": 0.2, "factor": 2.0, "max_delay": 1.0, "max_attempts": 30, "timeout": 30.0}

    # -- helpers ---------------------------------------------------------------------------

    def conversation(self, name="alice"):
        """An XMPP user who wrote to PHONE_A: the phone's replies go to them."""
        user = self.user(name)
        user.send_message(f"{PHONE_A}@{RCS}", "send me the file, please")
        self.wait_sent("carrier-a", PHONE_A)
        return user

    def send_file(self, size: int, seed: int, name: str, content_type: str = "application/octet-stream"):
        return self.maap.control("phone_send_file", number=PHONE_A, size=size, seed=seed, name=name,
                                 content_type=content_type)

    def file_messages(self, user) -> list:
        return [m for m in user.messages() if m.kind == "message" and m.bare_from == f"{PHONE_A}@{RCS}"
                and (m.oob or (m.body or "").startswith("[sent a file"))]

    def wait_link(self, user, bridge, name: str, timeout: float = 30.0):
        """The message carrying the link; checks its shape and returns (stanza, url)."""
        msg = user.wait_message(lambda s: s.bare_from == f"{PHONE_A}@{RCS}" and s.oob, timeout=timeout)
        [(url, desc)] = msg.oob
        self.assertEqual(msg.body, url)
        self.assertEqual(desc, name)
        prefix = f"{bridge.base_url}/files/"
        self.assertTrue(url.startswith(prefix), url)
        token, _, quoted = url[len(prefix):].partition("/")
        self.assertRegex(token, TOKEN)
        self.assertEqual(urllib.parse.unquote(quoted), name)
        self.assertNotIn("/", quoted)
        return msg, url

    def downloads(self, file_id: str, since: int = 0) -> list[dict]:
        """The platform's file_downloaded events for one file (the bridge's fetches)."""
        return self.maap.events("file_downloaded", since, file_id=file_id)

    def webhook_attempts(self, msg_id: str, since: int = 0) -> list[dict]:
        return self.maap.events("webhook", since, msg_id=msg_id)

    def assert_one_message_stays(self, user, settle: float = 1.5) -> None:
        time.sleep(settle)
        got = self.file_messages(user)
        self.assertEqual(len(got), 1, [m.body for m in got])

    # -- a. 100 MiB, streamed: the bridge's memory stays flat --------------------------------

    def test_a_100_mib_file_reaches_the_xmpp_user_as_a_link_and_memory_stays_flat(self):
        b = self.bridge()
        alice = self.conversation()
        before = proc_memory(b.pid)
        sampler = RssSampler(b.pid).start()
        t0 = time.monotonic()
        try:
            sent = self.send_file(BIG, 7, "holiday video.mp4", "video/mp4")
            t_sent = time.monotonic()
            msg, url = self.wait_link(alice, b, "holiday video.mp4", timeout=60)
            t_link = time.monotonic()
            got = fetch(url, timeout=60)
            t_done = time.monotonic()
        finally:
            sampler.stop()
        after = proc_memory(b.pid)
        growth = sampler.peak - before["VmRSS"]
        print(f"\n  100 MiB relay: VmRSS before {before['VmRSS'] / MIB:.1f} MiB, peak "
              f"{sampler.peak / MIB:.1f} MiB, growth {growth / MIB:+.2f} MiB ({len(sampler.samples)} samples, "
              f"largest gap {sampler.max_gap() * 1000:.0f} ms); "
              f"VmHWM before {before['VmHWM'] / MIB:.1f} MiB, after {after['VmHWM'] / MIB:.1f} MiB; "
              f"phone_send_file {t_sent - t0:.2f} s, link at +{t_link - t0:.2f} s, "
              f"downloaded at +{t_done - t0:.2f} s ({BIG / MIB / (t_done - t_link):.0f} MiB/s)",
              file=sys.stderr, flush=True)

        self.assertEqual(got["status"], 200)
        self.assertEqual(got["size"], BIG)
        self.assertEqual(got["sha256"], sent["sha256"])
        self.assertEqual(got["headers"].get("etag"), f'"{sent["sha256"]}"')
        self.assertEqual(got["headers"].get("content-type"), "video/mp4")
        head = fetch(url, method="HEAD")
        self.assertEqual(head["status"], 200)
        self.assertEqual(head["size"], 0)
        self.assertEqual(head["headers"].get("content-length"), str(BIG))
        self.assertEqual(head["headers"].get("etag"), f'"{sent["sha256"]}"')
        self.assertEqual(head["headers"].get("accept-ranges"), "bytes")

        # Fetched from the platform once, whole.
        [dl] = self.downloads(sent["file_id"])
        self.assertTrue(dl["complete"], dl)
        self.assertEqual(dl["bytes"], BIG)
        self.assertLessEqual(growth, RSS_SLACK,
                             f"VmRSS grew by {growth / MIB:.1f} MiB while relaying {BIG // MIB} MiB")
        self.assert_one_message_stays(alice, settle=0.5)

    # -- b. the platform sends the file's event again ------------------------------------------

    def test_b_a_file_event_sent_again_gives_one_message(self):
        # The bridge waits up to 5 s for each read from the platform (timeout_ms).
        b = self.bridge(platforms={"carrier-a": {"timeout_ms": 5000}})
        alice = self.conversation()
        name = "relevé 2026.pdf"
        # The platform gives up on the webhook after 1 s while the bridge is still fetching
        # (the file comes 2.5 s late, within the bridge's read timeout): it sends the event
        # again, maybe more than once, and each copy waits for the fetch in progress.
        self.maap.control("set_platform", platform="carrier-a", webhook_retry={"timeout": 1.0})
        self.maap.control("set_fault", platform="carrier-a", kind="api_delay", path="/content/", delay=2.5,
                          count=1)
        since = self.maap.last_seq()
        sent = self.send_file(200_000, 11, name, "application/pdf")
        msg, url = self.wait_link(alice, b, name, timeout=20)
        wait_until(lambda: any(a["result"] == "delivered" for a in self.webhook_attempts(sent["msg_id"], since)),
                   timeout=15, message="the platform's webhook delivered")
        attempts = self.webhook_attempts(sent["msg_id"], since)
        self.assertGreaterEqual(len(attempts), 2, attempts)   # the event did come again
        self.assertEqual(len(self.downloads(sent["file_id"])), 1)   # fetched once for all copies
        self.assert_one_message_stays(alice)

        # After success: the same event replayed (same msgId) is answered 200, bridged with
        # the same link and dropped as a duplicate; nothing is fetched again.
        self.maap.control("set_platform", platform="carrier-a", webhook_retry={"timeout": 30.0})
        content = {"fileMessage": {"fileName": name, "fileUrl": sent["url"], "fileMIMEType": "application/pdf",
                                   "fileSize": 200_000}}
        event = maap.ev_message(sent["msg_id"], PHONE_A, content)
        for _ in range(2):
            answer = self.maap.control("webhook_raw", platform="carrier-a", bot="bot-a", json=event, auth="good")
            self.assertEqual(answer["status"], 200, answer)
        self.assert_one_message_stays(alice)
        self.assertEqual(len(self.downloads(sent["file_id"])), 1)
        got = fetch(url)
        self.assertEqual((got["status"], got["size"], got["sha256"]), (200, 200_000, sent["sha256"]))

    # -- c. over the platform's max_file_size in the bridge's config ---------------------------

    def test_c_a_file_over_the_limit_is_told_in_words_and_not_fetched(self):
        b = self.bridge(platforms={"carrier-a": {"max_file_size": 1 * MIB}})
        alice = self.conversation()
        sent = self.send_file(3 * MIB, 3, "big.bin")
        msg = alice.wait_message(lambda s: s.bare_from == f"{PHONE_A}@{RCS}" and s.body
                                 and s.body.startswith("[sent a file"), timeout=15)
        self.assertEqual(msg.body, f'[sent a file "big.bin", {human_size(3 * MIB)}, application/octet-stream: '
                                   f'larger than this bridge relays ({human_size(1 * MIB)})]')
        self.assertEqual(msg.oob, [])
        self.assert_one_message_stays(alice, settle=1.0)
        self.assertEqual(self.downloads(sent["file_id"]), [])

        # An event that does not give the size: the fetch stops at the limit, the user is
        # told in words, nothing is shared.
        unsized = maap.ev_message("phone-msg-unsized-1", PHONE_A, {"fileMessage": {
            "fileName": "unsized.bin", "fileUrl": sent["url"], "fileMIMEType": "application/octet-stream"}})
        answer = self.maap.control("webhook_raw", platform="carrier-a", bot="bot-a", json=unsized, auth="good")
        self.assertEqual(answer["status"], 200, answer)
        told = alice.wait_message(lambda s: s.bare_from == f"{PHONE_A}@{RCS}" and s.body
                                  and s.body.startswith('[sent a file "unsized.bin"'), timeout=15)
        self.assertEqual(told.body, '[sent a file "unsized.bin", application/octet-stream: '
                                    f'larger than this bridge relays ({human_size(1 * MIB)})]')
        self.assertEqual(told.oob, [])
        files_dir = b.data_dir / "files"
        left = [p.name for p in files_dir.iterdir()] if files_dir.exists() else []
        self.assertEqual([n for n in left if not n.startswith(".")], [])
        self.assertEqual(len(self.file_messages(alice)), 2)

    def test_c2_a_file_that_does_not_fit_files_max_bytes_is_told_in_words(self):
        b = self.bridge(config={"files": {"max_bytes": 3 * MIB}})
        alice = self.conversation()
        self.send_file(2 * MIB, 5, "first.bin")
        self.wait_link(alice, b, "first.bin")
        # The first file's 2 MiB are shared until its link expires: no room for 2 more.
        second = self.send_file(2 * MIB, 6, "second.bin")
        msg = alice.wait_message(lambda s: s.bare_from == f"{PHONE_A}@{RCS}" and s.body
                                 and s.body.startswith('[sent a file "second.bin"'), timeout=15)
        self.assertEqual(msg.body, f'[sent a file "second.bin", {human_size(2 * MIB)}, '
                                   'application/octet-stream: the bridge has no room for it right now]')
        self.assertEqual(msg.oob, [])
        self.assertEqual(self.downloads(second["file_id"]), [])
        self.assertIn("raise files.max_bytes", b.tail(200))
        self.assertEqual(b.metric("passerelle_files_bytes", kind="shared"), 2 * MIB)
        self.assertEqual(b.metric("passerelle_files_bytes", kind="arriving"), 0)
        self.assertEqual(b.metric("passerelle_files_shared"), 1)

    # -- d. the platform fails while the bridge fetches ----------------------------------------

    def test_d_a_fetch_that_fails_is_asked_again_and_the_file_arrives_once(self):
        b = self.bridge()
        alice = self.conversation()
        since = self.maap.last_seq()
        self.maap.control("set_fault", platform="carrier-a", kind="api_status", status=503, path="/content/",
                          count=2)
        sent = self.send_file(300_000, 5, "photo.jpg", "image/jpeg")
        msg, url = self.wait_link(alice, b, "photo.jpg", timeout=30)
        attempts = wait_until(
            lambda: (lambda a: a if a and a[-1]["result"] == "delivered" else None)(
                self.webhook_attempts(sent["msg_id"], since)),
            timeout=15, message="the platform's webhook delivered")
        self.assertEqual([a["status"] for a in attempts], [503, 503, 200], attempts)
        self.assertEqual(len(self.maap.events("fault", since, fault="api_status")), 2)
        [dl] = self.downloads(sent["file_id"])
        self.assertTrue(dl["complete"], dl)
        got = fetch(url)
        self.assertEqual((got["status"], got["size"], got["sha256"]), (200, 300_000, sent["sha256"]))
        self.assert_one_message_stays(alice)

        # A file shorter than its event says: 503 (asked again), nothing bridged, nothing
        # left behind; the right size under the same msgId then goes through once.
        stored = self.send_file(50_000, 6, "short.txt", "text/plain")
        wait_until(lambda: len(self.file_messages(alice)) == 2, timeout=15, message="the second file's link")
        liar = maap.ev_message("phone-msg-short-1", PHONE_A, {"fileMessage": {
            "fileName": "short.txt", "fileUrl": stored["url"], "fileMIMEType": "text/plain", "fileSize": 50_001}})
        answer = self.maap.control("webhook_raw", platform="carrier-a", bot="bot-a", json=liar, auth="good")
        self.assertEqual(answer["status"], 503, answer)
        time.sleep(1)
        self.assertEqual(len(self.file_messages(alice)), 2)
        files_dir = b.data_dir / "files"
        self.assertEqual(len([p for p in files_dir.iterdir() if not p.name.startswith(".")]), 2,
                         sorted(p.name for p in files_dir.iterdir()))
        liar["RCSMessage"]["fileMessage"]["fileSize"] = 50_000
        answer = self.maap.control("webhook_raw", platform="carrier-a", bot="bot-a", json=liar, auth="good")
        self.assertEqual(answer["status"], 200, answer)
        wait_until(lambda: len(self.file_messages(alice)) == 3, timeout=15, message="the corrected event's link")

    def test_d2_a_fetch_cut_off_mid_body_shares_nothing_and_the_file_arrives_once_later(self):
        b = self.bridge()
        alice = self.conversation()
        size, cut = 2_000_000, 700_000
        since = self.maap.last_seq()
        # Every fetch of the content gets its whole length announced, then the connection
        # closes after 700 kB, until cleared.
        self.maap.control("set_fault", platform="carrier-a", kind="content_cut", after=cut, count=-1)
        sent = self.send_file(size, 8, "scan.pdf", "application/pdf")

        # As in d: the bridge does not take the event while it has no whole file, so the
        # platform sends it again; each copy is fetched and cut again.
        def refused():
            return [a for a in self.webhook_attempts(sent["msg_id"], since) if a["result"] == "retry"]
        wait_until(lambda: len(refused()) >= 3, timeout=20, message="three refused webhook attempts")
        for a in refused():
            self.assertTrue(a["status"] is not None and 500 <= a["status"] < 600, a)
        cuts = self.downloads(sent["file_id"], since)
        self.assertGreaterEqual(len(cuts), 3, cuts)
        self.assertEqual({(d["bytes"], d["complete"]) for d in cuts}, {(cut, False)})
        # Nothing for alice yet, nothing shared, and no partial file counted as arriving.
        self.assertEqual(self.file_messages(alice), [])
        files_dir = b.data_dir / "files"
        self.assertEqual([p.name for p in files_dir.iterdir() if not p.name.startswith(".")]
                         if files_dir.exists() else [], [])
        self.assertEqual(b.metric("passerelle_files_shared"), 0)
        wait_until(lambda: b.metric("passerelle_files_bytes", kind="arriving") == 0, timeout=5,
                   message="no bytes left arriving between attempts")

        # The platform serves whole files again: the next copy of the event brings it, once.
        self.maap.control("clear_faults", platform="carrier-a")
        msg, url = self.wait_link(alice, b, "scan.pdf", timeout=30)
        got = fetch(url)
        self.assertEqual((got["status"], got["size"], got["sha256"]), (200, size, sent["sha256"]))
        wait_until(lambda: any(a["result"] == "delivered" for a in self.webhook_attempts(sent["msg_id"], since)),
                   timeout=15, message="the platform's webhook delivered")
        self.assertEqual([d["complete"] for d in self.downloads(sent["file_id"], since)].count(True), 1)
        self.assert_one_message_stays(alice)
        self.assertEqual(len([p for p in files_dir.iterdir() if not p.name.startswith(".")]), 1,
                         sorted(p.name for p in files_dir.iterdir()))
        self.assertEqual(b.metric("passerelle_files_shared"), 1)

    # -- e. requests for links ------------------------------------------------------------------

    def test_e_links_answer_only_for_their_token_and_name_and_serve_ranges(self):
        b = self.bridge()
        alice = self.conversation()
        name = "notes d'été.txt"
        size, seed = 10_000, 21
        data = content_of(size, seed)
        sent = self.send_file(size, seed, name, "text/plain")
        self.assertEqual(hashlib.sha256(data).hexdigest(), sent["sha256"])
        msg, url = self.wait_link(alice, b, name)
        prefix = f"{b.base_url}/files/"
        token, _, quoted = url[len(prefix):].partition("/")
        etag = f'"{sent["sha256"]}"'

        whole = fetch(url, keep=size)
        self.assertEqual((whole["status"], whole["head"]), (200, data))
        self.assertEqual(whole["headers"]["etag"], etag)
        self.assertEqual(whole["headers"]["content-length"], str(size))
        self.assertEqual(whole["headers"].get("x-content-type-options"), "nosniff")
        disposition = whole["headers"]["content-disposition"]
        self.assertTrue(disposition.startswith("attachment; filename*=UTF-8''"), disposition)
        self.assertEqual(urllib.parse.unquote(disposition.split("''", 1)[1]), name)
        # The name compares decoded: lower-case %xx is the same name.
        lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted)
        self.assertEqual(fetch(f"{prefix}{token}/{lower}")["status"], 200)

        # Unknown token, another name, no name, a path below the name: 404.
        other = "a" * 32 if token != "a" * 32 else "b" * 32
        for bad in (f"{prefix}{other}/{quoted}", f"{prefix}{token}/other.txt", f"{prefix}{token}/",
                    f"{prefix}{token}", f"{prefix}{token}/{quoted}/x", f"{prefix}{token.upper()}/{quoted}",
                    f"{prefix}{token}/%zz"):
            r = fetch(bad)
            self.assertEqual(r["status"], 404, bad)
            self.assertNotIn("etag", r["headers"], bad)
        # Only GET and HEAD.
        conn = http.client.HTTPConnection("127.0.0.1", b.http_port, timeout=10)
        try:
            conn.request("POST", urllib.parse.urlsplit(url).path, headers={"Content-Length": "0"})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 405)
        finally:
            conn.close()

        # Ranges.
        part = fetch(url, headers={"Range": "bytes=100-199"}, keep=1000)
        self.assertEqual(part["status"], 206)
        self.assertEqual(part["head"], data[100:200])
        self.assertEqual(part["headers"]["content-range"], f"bytes 100-199/{size}")
        self.assertEqual(part["headers"]["content-length"], "100")
        tail = fetch(url, headers={"Range": "bytes=-10"}, keep=100)
        self.assertEqual((tail["status"], tail["head"]), (206, data[-10:]))
        self.assertEqual(tail["headers"]["content-range"], f"bytes {size - 10}-{size - 1}/{size}")
        open_end = fetch(url, headers={"Range": f"bytes={size - 5}-"}, keep=100)
        self.assertEqual((open_end["status"], open_end["head"]), (206, data[-5:]))
        past = fetch(url, headers={"Range": f"bytes={size}-"})
        self.assertEqual(past["status"], 416)
        self.assertEqual(past["headers"].get("content-range"), f"bytes */{size}")
        # If-Range with another version's ETag: the whole file; with this one: the range.
        stale = fetch(url, headers={"Range": "bytes=0-9", "If-Range": '"0000"'}, keep=size)
        self.assertEqual((stale["status"], stale["head"]), (200, data))
        fresh = fetch(url, headers={"Range": "bytes=0-9", "If-Range": etag}, keep=100)
        self.assertEqual((fresh["status"], fresh["head"]), (206, data[:10]))
        head = fetch(url, method="HEAD", headers={"Range": "bytes=0-9"})
        self.assertEqual((head["status"], head["size"]), (206, 0))

        # The link survives a restart of the daemon (the share index is on disk).
        b.restart(wait_ready=True)
        again = fetch(url, keep=size)
        self.assertEqual((again["status"], again["head"]), (200, data))
        self.assertEqual(again["headers"]["etag"], etag)


if __name__ == "__main__":
    unittest.main()
