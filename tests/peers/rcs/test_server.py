"""The MaaP platform test server as a subprocess, driven over HTTP as a chatbot would and
through its control channel as the tests of the future RCS connector will."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from tests.integration.lib.require import skip_unless
from tests.peers.rcs import maap
from tests.peers.rcs.harness import FIXTURES, ApiClient, MaapServerProc, WebhookSink, load_fixture, platform

MIB = 1024 * 1024
A, B, US = "carrier-a", "carrier-b", "carrier-us"
HOOK_A, HOOK_B = "Bearer hook-secret-a", "Bearer hook-secret-b"
FAST_RETRY = {"initial": 0.05, "factor": 2.0, "max_delay": 0.4, "max_attempts": 4, "timeout": 5.0}


def chunks_of(size: int, seed: int, chunk: int = MIB):
    rng = random.Random(seed)
    left = size
    while left > 0:
        n = min(chunk, left)
        yield rng.randbytes(n)
        left -= n


def sha_of(size: int, seed: int) -> str:
    h = hashlib.sha256()
    for c in chunks_of(size, seed):
        h.update(c)
    return h.hexdigest()


class ServerCase(unittest.TestCase):
    """One server (three platforms) and one webhook sink per test class."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="maap-test-")
        cls.sink = WebhookSink().start()
        cls.sink_b = WebhookSink().start()
        cls.srv = MaapServerProc(cls.tmp, platforms=cls.platforms(), phones=cls.phones()).start()
        cls.a = cls.srv.client(A, "bot-a", "tok-a")
        cls.b = cls.srv.client(B, "bot-b", "tok-b")

    @classmethod
    def platforms(cls):
        return [
            platform(A, [{"id": "bot-a", "secret": "bot-a-secret"}, {"id": "bot-a2", "secret": "s2"}], "tok-a",
                     ["+3361", "+3362"], webhook=cls.sink.url, webhook_token=HOOK_A, max_file_size=MIB,
                     webhook_retry=FAST_RETRY, token_ttl=60),
            platform(B, "bot-b", "tok-b", ["+3363"], root="/rcs", webhook=cls.sink_b.url, webhook_token=HOOK_B,
                     error_style="reason", noncapable_send="fail", late_revoke="accept", upload_response="accepted",
                     send_status=202, webhook_retry=FAST_RETRY, content_auth=True),
            platform(US, "bot-us", "tok-us", ["+1", "+91"], webhook=cls.sink.url, webhook_token=HOOK_A,
                     webhook_retry=FAST_RETRY),
        ]

    @classmethod
    def phones(cls):
        return [{"number": "+33611000001"}, {"number": "+33611000002", "capable": False},
                {"number": "+33631000001"}, {"number": "+33631000002", "capable": False}]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.sink.stop()
        cls.sink_b.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.srv.wait_idle()
        for s in (self.sink, self.sink_b):
            s.script.clear()
            s.rules.clear()
            s.default = 200
        self.srv.control("clear_faults")

    def run(self, result=None):
        r = super().run(result)
        if result is not None and any(t is self for t, _ in result.failures + result.errors):
            print("\n--- server log tail ---\n" + "\n".join(self.srv.log_text().splitlines()[-40:]))
        return r

    # helpers

    _numbers = iter(range(100, 10 ** 6))

    def phone(self, prefix="+33611", **kw) -> str:
        number = f"{prefix}{next(self._numbers):06d}"
        self.srv.control("add_phone", number=number, **kw)
        return number

    def wait_status(self, sink, msg_id, status, timeout=5.0):
        return sink.wait_for(lambda e: e.get("event") == "messageStatus" and e["RCSMessage"]["msgId"] == msg_id
                             and e["RCSMessage"]["status"] == status, timeout)

    def sent_ok(self, client, number, text="hello") -> str:
        st, body, _ = client.send_text(number, text)
        self.assertEqual(st, 202, body)
        return body["RCSMessage"]["msgId"]


class AuthTest(ServerCase):
    def test_missing_wrong_and_foreign_tokens(self):
        n = self.phone()
        for client, want in ((ApiClient(self.srv.api_url(A), "bot-a", None), 401),
                             (ApiClient(self.srv.api_url(A), "bot-a", "nope"), 401),
                             (ApiClient(self.srv.api_url(A), "bot-a", "tok-b"), 401)):
            st, body, h = client.capabilities(n)
            self.assertEqual(st, want, body)
            self.assertTrue(h["www-authenticate"].startswith("Bearer"), h)
            self.assertEqual(body["error"]["code"], 401)
        st, _, h = ApiClient(self.srv.api_url(A), "bot-a", "x").request(
            "GET", "/contactCapabilities?userContact=%2B33611000001", headers={"Authorization": "Basic eDp5"})
        self.assertEqual(st, 401)
        st, body, _ = ApiClient(self.srv.api_url(A), "no-such-bot", "tok-a").capabilities(n)
        self.assertEqual(st, 404, body)
        self.assertEqual(self.a.capabilities(n)[0], 200)

    def test_token_endpoint_client_credentials_and_refresh(self):
        import base64
        n = self.phone()
        form = urllib.parse.urlencode(load_fixture("requests/token_request.json")).encode()
        tok_path = urllib.parse.urlsplit(self.srv.base_url(A)).path + "/oauth2/v1/token"

        def token(user, pw, body=form):
            basic = base64.b64encode(f"{user}:{pw}".encode()).decode()
            return ApiClient(self.srv.api_url(A), "", None).request(
                "POST", tok_path, body, {"Authorization": f"Basic {basic}",
                                         "Content-Type": "application/x-www-form-urlencoded"}, raw_path=True)
        st, body, h = token("bot-a", "bot-a-secret")
        self.assertEqual(st, 200, body)
        self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/token.json")))
        self.assertEqual(self.srv.client(A, "bot-a", body["access_token"]).capabilities(n)[0], 200)
        st, err, _ = self.srv.client(A, "bot-a2", body["access_token"]).capabilities(n)
        self.assertEqual(st, 403, err)
        self.assertEqual(token("bot-a", "wrong")[0], 401)
        self.assertEqual(token("bot-a", "bot-a-secret", b"grant_type=password")[0], 400)
        refresh = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
        st, body2, _ = token("bot-a", "bot-a-secret", refresh.encode())
        self.assertEqual(st, 200, body2)
        self.assertEqual(token("bot-a", "bot-a-secret", refresh.encode())[0], 400)   # single use


class MessagingTest(ServerCase):
    def test_capabilities(self):
        n = self.phone()
        st, body, _ = self.a.capabilities(n)
        self.assertEqual(st, 200)
        self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/capabilities.json")))
        self.assertIn("chatBotCommunication", body["capabilities"])
        for number in ("+33611000002", "+33619999999", "+33631000001"):   # not capable / unknown / other carrier
            st, body, _ = self.a.capabilities(number)
            self.assertEqual(st, 404, (number, body))
            self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/error_message.json")))
        st, body, _ = self.b.capabilities("+33631000002")
        self.assertEqual(st, 404)
        self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/error_reason.json")))
        self.assertEqual(self.a.request("GET", "/contactCapabilities?userContact=0611")[0], 400)
        self.assertEqual(self.a.request("GET", "/contactCapabilities")[0], 400)
        chat_id = self.srv.control("phones")["phones"]
        chat_id = next(p["chat_id"] for p in chat_id if p["number"] == n)
        self.assertEqual(self.a.request("GET", f"/contactCapabilities?chatId={chat_id}")[0], 200)

    def test_send_to_capable_phone_sent_delivered_displayed(self):
        n = self.phone()
        since = self.srv.last_seq()
        st, body, _ = self.a.send_text(n, "hello", suggestions=[{"reply": {"displayText": "Yes", "postback": {"data": "y"}}}])
        self.assertEqual(st, 202)
        self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/send_accepted.json")))
        mid = body["RCSMessage"]["msgId"]
        self.wait_status(self.sink, mid, "delivered")
        self.assertEqual(self.sink.statuses(mid), ["sent", "delivered"])
        got = self.srv.wait_event("phone_received", lambda e: e["msg_id"] == mid, since=since)
        self.assertEqual(got["text"], "hello")
        self.assertEqual(self.srv.control("phone_read", number=n)["read"], [mid])
        self.wait_status(self.sink, mid, "displayed")
        st, body, _ = self.a.status(mid)
        self.assertEqual((st, body["RCSMessage"]["status"]), (200, "displayed"))
        self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/status.json")))
        reqs = [r for r in self.sink.requests if r.get("json") and r["json"].get("RCSMessage", {}).get("msgId") == mid]
        self.assertTrue(all(r["headers"].get("Authorization") == HOOK_A for r in reqs), "webhook shared secret")
        sent = self.srv.control("sent", number=n)["messages"]
        self.assertEqual(sent[0]["request"]["RCSMessage"]["suggestedChipList"]["suggestions"][0]["reply"]["displayText"],
                         "Yes")

    def test_offline_phone_stays_sent_until_online(self):
        n = self.phone(online=False)
        mid = self.sent_ok(self.a, n)
        self.wait_status(self.sink, mid, "sent")
        time.sleep(0.3)
        self.assertEqual(self.sink.statuses(mid), ["sent"])
        self.assertEqual(self.a.status(mid)[1]["RCSMessage"]["status"], "sent")
        self.srv.control("set_phone", number=n, online=True)
        self.wait_status(self.sink, mid, "delivered")
        self.assertEqual(self.sink.statuses(mid), ["sent", "delivered"])

    def test_displayed_notifications_off(self):
        n = self.phone(displayed=False)
        mid = self.sent_ok(self.a, n)
        self.wait_status(self.sink, mid, "delivered")
        self.srv.control("phone_read", number=n, msg_id=mid)
        self.srv.wait_idle()
        self.assertEqual(self.sink.statuses(mid), ["sent", "delivered"])
        self.assertEqual(self.a.status(mid)[1]["RCSMessage"]["status"], "displayed")

    def test_send_to_non_capable(self):
        st, body, _ = self.a.send_text("+33611000002", "x")                 # reject mode: 404
        self.assertEqual(st, 404, body)
        st, body, _ = self.a.send_text("+33699000000", "x")                 # nobody's subscriber
        self.assertEqual(st, 404, body)
        mid = self.sent_ok(self.b, "+33631000002")                          # fail mode: 202, then failed
        self.wait_status(self.sink_b, mid, "failed")
        self.assertEqual(self.sink_b.statuses(mid), ["failed"])
        self.assertEqual(self.b.request("POST", "/messages", {"RCSMessage": {"isTyping": "active"},
                                                              "messageContact": {"userContact": "+33631000002"}})[0], 404)

    def test_message_that_fails_in_the_network(self):
        n = self.phone(online=False)
        mid = self.sent_ok(self.a, n)
        self.wait_status(self.sink, mid, "sent")
        self.srv.control("fail_message", msg_id=mid)
        self.wait_status(self.sink, mid, "failed")
        self.srv.control("set_phone", number=n, online=True)
        self.srv.wait_idle()
        self.assertEqual(self.sink.statuses(mid), ["sent", "failed"])

    def test_typing_both_ways(self):
        n = self.phone()
        since = self.srv.last_seq()
        for state in ("active", "idle"):
            st, body, _ = self.a.send({"RCSMessage": {"isTyping": state}, "messageContact": {"userContact": n}})
            self.assertEqual(st, 202, body)
        evs = self.srv.events("bot_typing", since=since)
        self.assertEqual([e["state"] for e in evs], ["active", "idle"])
        self.srv.control("phone_typing", number=n, state="active")
        ev = self.sink.wait_for(lambda e: e.get("event") == "isTyping" and e["messageContact"]["userContact"] == n)
        self.assertEqual(maap.validate_event(ev), [])
        self.assertEqual(maap.shape(ev), maap.shape(load_fixture("events/isTyping.json")))

    def test_phone_messages_replies_and_bot_displayed(self):
        n = self.phone()
        mid = self.srv.control("phone_send_text", number=n, text="bonjour")["msg_id"]
        ev = self.sink.wait_for(lambda e: e.get("event") == "message" and e["RCSMessage"]["msgId"] == mid)
        self.assertEqual(ev["RCSMessage"]["textMessage"], "bonjour")
        self.assertEqual(maap.shape(ev), maap.shape(load_fixture("events/message_text.json")))
        self.assertEqual(self.a.set_status(mid, "displayed")[0], 204)
        self.assertEqual(self.a.status(mid)[1]["RCSMessage"]["status"], "displayed")
        self.assertEqual(self.a.set_status("unknown-id", "displayed")[0], 404)
        for kind, fixture in (("reply", "events/response_reply.json"), ("action", "events/response_action.json")):
            rid = self.srv.control("phone_reply", number=n, kind=kind, display_text="Yes", postback="pb-1")["msg_id"]
            ev = self.sink.wait_for(lambda e: e.get("event") == "response" and e["RCSMessage"]["msgId"] == rid)
            self.assertEqual(ev["RCSMessage"]["suggestedResponse"]["response"][kind]["postback"]["data"], "pb-1")
            self.assertEqual(maap.shape(ev), maap.shape(load_fixture(fixture)))
        self.srv.control("phone_new_user", number=n)
        ev = self.sink.wait_for(lambda e: e.get("event") == "newUser" and e["messageContact"]["userContact"] == n)
        self.assertEqual(maap.shape(ev), maap.shape(load_fixture("events/newUser.json")))
        chat = self.srv.control("phone_alias", number=n)["chat_id"]
        ev = self.sink.wait_for(lambda e: e.get("event") == "alias" and e["messageContact"].get("chatId") == chat)
        self.assertEqual(maap.shape(ev), maap.shape(load_fixture("events/alias.json")))
        # the bot answers the chatId
        st, body, _ = self.a.send({"RCSMessage": {"textMessage": "hi"}, "messageContact": {"chatId": chat}})
        self.assertEqual(st, 202, body)

    def test_bot_chosen_msgid_is_idempotent(self):
        n = self.phone()
        m = {"RCSMessage": {"textMessage": "once", "msgId": f"dup-{n}"}, "messageContact": {"userContact": n}}
        st1, b1, _ = self.a.send(m)
        st2, b2, _ = self.a.send(m)
        self.assertEqual((st1, st2), (202, 202))
        self.assertEqual(b1["RCSMessage"]["msgId"], f"dup-{n}")
        self.assertEqual(b2["RCSMessage"]["msgId"], f"dup-{n}")
        m["RCSMessage"]["textMessage"] = "different"
        self.assertEqual(self.a.send(m)[0], 409)
        self.srv.wait_idle()
        self.assertEqual(len(self.srv.control("sent", number=n)["messages"]), 1)
        self.assertEqual(self.sink.statuses(f"dup-{n}"), ["sent", "delivered"])

    def test_ported_number_is_served_by_its_new_platform(self):
        n = self.phone(prefix="+33611", platform=B)     # in A's range, ported to B
        self.assertEqual(self.a.capabilities(n)[0], 404)
        self.assertEqual(self.b.capabilities(n)[0], 200)
        self.assertEqual(self.a.send_text(n, "x")[0], 404)
        mid = self.sent_ok(self.b, n)
        self.wait_status(self.sink_b, mid, "delivered")


class RevokeTest(ServerCase):
    def test_revoke_before_delivery(self):
        for spelling in ("cancelled", "canceled"):
            n = self.phone(online=False)
            mid = self.sent_ok(self.a, n)
            self.wait_status(self.sink, mid, "sent")
            st, body, _ = self.a.set_status(mid, spelling)
            self.assertEqual(st, 204, body)
            self.assertEqual(self.a.status(mid)[1]["RCSMessage"]["status"], "cancelled")
            self.assertEqual(self.a.set_status(mid, spelling)[0], 204)          # again: no change
            self.srv.control("set_phone", number=n, online=True)
            self.srv.wait_idle()
            time.sleep(0.1)
            self.assertEqual(self.sink.statuses(mid), ["sent"])
            self.assertFalse([e for e in self.srv.events("phone_received") if e["msg_id"] == mid])

    def test_revoke_after_delivery(self):
        n = self.phone()
        mid = self.sent_ok(self.a, n)
        self.wait_status(self.sink, mid, "delivered")
        st, body, _ = self.a.set_status(mid, "cancelled")                     # late_revoke reject: 404
        self.assertEqual(st, 404, body)
        self.assertEqual(body["error"]["code"], 404)
        self.assertEqual(self.a.status(mid)[1]["RCSMessage"]["status"], "delivered")
        n2 = self.phone(prefix="+33631")
        mid2 = self.sent_ok(self.b, n2)
        self.wait_status(self.sink_b, mid2, "delivered")
        self.assertEqual(self.b.set_status(mid2, "cancelled")[0], 204)        # late_revoke accept: 204, no effect
        self.assertEqual(self.b.status(mid2)[1]["RCSMessage"]["status"], "delivered")
        ev = self.srv.events("revoke")
        self.assertEqual({e["result"] for e in ev if e["msg_id"] in (mid, mid2)}, {"too_late", "too_late_accepted"})
        self.assertEqual(self.a.set_status("no-such-message", "cancelled")[0], 404)
        self.assertEqual(self.a.set_status(mid, "delivered")[0], 400)


class BadInputTest(ServerCase):
    def raw(self, data: bytes, port: int | None = None, read_timeout: float = 5.0) -> bytes:
        port = port or self.srv.info["platforms"][A]["port"]
        with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
            s.sendall(data)
            out = b""
            while True:
                try:
                    piece = s.recv(65536)
                except socket.timeout:
                    break
                if not piece:
                    break
                out += piece
            return out

    def test_malformed_json_and_shapes(self):
        n = self.phone()
        cases = [(b"{not json", 400), (b"[]", 400), (b"", 400), (b"\xff\xfe", 400),
                 (json.dumps({"RCSMessage": {"textMessage": "x"}}).encode(), 400),
                 (json.dumps({"RCSMessage": {"textMessage": "x", "fileMessage": {"fileUrl": "http://h/x"}},
                              "messageContact": {"userContact": n}}).encode(), 400),
                 (json.dumps({"RCSMessage": {"textMessage": "x"}, "messageContact": {"userContact": "33611"}}).encode(), 400)]
        for body, want in cases:
            st, err, _ = self.a.request("POST", "/messages", body, {"Content-Type": "application/json"})
            self.assertEqual(st, want, (body, err))
            self.assertEqual(maap.shape(err), maap.shape(load_fixture("responses/error_message.json")))
        st, err, _ = self.a.request("POST", "/messages", b"<xml/>", {"Content-Type": "application/xml"})
        self.assertEqual(st, 415)
        st, err, _ = self.b.request("POST", "/messages", b"{", {"Content-Type": "application/json"})
        self.assertEqual(st, 400)
        self.assertEqual(maap.shape(err), maap.shape(load_fixture("responses/error_reason.json")))
        too_many = [{"reply": {"displayText": f"r{i}", "postback": {"data": str(i)}}} for i in range(12)]
        self.assertEqual(self.a.send_text(n, "x", suggestions=too_many)[0], 400)
        self.assertEqual(self.a.send_text(n, "x", suggestions=[{"reply": {"displayText": "x" * 26}}])[0], 400)

    def test_oversize_json_body(self):
        n = self.phone()
        big = {"RCSMessage": {"textMessage": "x" * (300 * 1024)}, "messageContact": {"userContact": n}}
        st, err, h = self.a.send(big)
        self.assertEqual(st, 413, err)
        self.assertEqual(err["error"]["code"], 413)
        # Expect: 100-continue: refused before the body is sent
        head = (f"POST {urllib.parse.urlsplit(self.srv.api_url(A)).path}/bot-a/messages HTTP/1.1\r\n"
                f"Host: x\r\nAuthorization: Bearer tok-a\r\nContent-Type: application/json\r\n"
                f"Content-Length: {10 * MIB}\r\nExpect: 100-continue\r\n\r\n").encode()
        out = self.raw(head)
        self.assertTrue(out.startswith(b"HTTP/1.1 413 "), out[:200])
        # chunked, no length: refused once past the limit
        c = self.a.conn()
        c.putrequest("POST", self.a.path("/messages"))
        for k, v in self.a.headers({"Content-Type": "application/json", "Transfer-Encoding": "chunked"}).items():
            c.putheader(k, v)
        c.endheaders()
        for _ in range(40):
            piece = b"x" * 10000
            try:
                c.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            except OSError:
                break
        try:
            c.send(b"0\r\n\r\n")
        except OSError:
            pass
        r = c.getresponse()
        self.assertEqual(r.status, 413)
        c.close()

    def test_chunked_json_body_is_accepted(self):
        n = self.phone()
        body = json.dumps({"RCSMessage": {"textMessage": "chunked"}, "messageContact": {"userContact": n}}).encode()
        c = self.a.conn()
        c.putrequest("POST", self.a.path("/messages"))
        for k, v in self.a.headers({"Content-Type": "application/json", "Transfer-Encoding": "chunked"}).items():
            c.putheader(k, v)
        c.endheaders()
        for i in range(0, len(body), 7):
            c.send(f"{len(body[i:i + 7]):x}\r\n".encode() + body[i:i + 7] + b"\r\n")
        c.send(b"0\r\n\r\n")
        self.assertEqual(c.getresponse().status, 202)
        c.close()

    def test_http_level_errors(self):
        self.assertTrue(self.raw(b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400 "))
        self.assertTrue(self.raw(b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431 "))
        self.assertTrue(self.raw(b"POST /bot/v1/bot-a/messages HTTP/1.1\r\nContent-Length: x\r\n\r\n")
                        .startswith(b"HTTP/1.1 400 "))
        st, _, h = self.a.request("DELETE", "/messages")
        self.assertEqual((st, h.get("allow")), (405, "POST"))
        self.assertEqual(self.a.request("GET", "/nothing-here")[0], 404)
        self.assertEqual(ApiClient(self.srv.api_url(B).replace("/rcs", ""), "bot-b", "tok-b").capabilities(
            "+33631000001")[0], 404)   # outside serverRoot

    def test_keep_alive_serves_several_requests(self):
        n = self.phone()
        c = self.a.conn()
        for _ in range(3):
            c.request("GET", self.a.path(f"/contactCapabilities?userContact={urllib.parse.quote(n)}"),
                      headers=self.a.headers())
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        c.close()


class FaultAndWebhookTest(ServerCase):
    def test_webhook_retried_with_backoff_until_2xx(self):
        n = self.phone()
        self.sink.answer_matching(lambda e: e.get("RCSMessage", {}).get("textMessage") == "retry me", [500, 503])
        mid = self.srv.control("phone_send_text", number=n, text="retry me")["msg_id"]
        self.sink.wait_for(lambda e: e.get("RCSMessage", {}).get("msgId") == mid)
        tries = [r for r in self.sink.requests if r.get("json") and r["json"].get("RCSMessage", {}).get("msgId") == mid]
        self.assertEqual([r["status"] for r in tries], [500, 503, 200])
        gaps = [b["t"] - a["t"] for a, b in zip(tries, tries[1:])]
        self.assertGreaterEqual(gaps[0], 0.045, gaps)      # initial 0.05 s, then doubled
        self.assertGreaterEqual(gaps[1], 0.095, gaps)
        self.srv.wait_event("webhook", lambda e: e.get("msg_id") == mid and e["result"] == "delivered")
        evs = self.srv.events("webhook", msg_id=mid)
        self.assertEqual([(e["attempt"], e["status"], e["result"]) for e in evs],
                         [(1, 500, "retry"), (2, 503, "retry"), (3, 200, "delivered")])

    def test_webhook_abandoned_after_max_attempts_and_order_kept(self):
        n = self.phone()
        self.sink.answer_matching(lambda e: e.get("RCSMessage", {}).get("textMessage") == "lost", [500] * 4)
        m1 = self.srv.control("phone_send_text", number=n, text="lost")["msg_id"]
        m2 = self.srv.control("phone_send_text", number=n, text="next")["msg_id"]
        self.sink.wait_for(lambda e: e.get("RCSMessage", {}).get("msgId") == m2)
        evs = [e for e in self.srv.events("webhook") if e.get("msg_id") == m1]
        self.assertEqual([e["result"] for e in evs], ["retry"] * 3 + ["abandoned"])
        posted = [r["json"]["RCSMessage"]["msgId"] for r in self.sink.requests
                  if r.get("json") and r["json"].get("RCSMessage", {}).get("msgId") in (m1, m2)]
        self.assertEqual(posted, [m1] * 4 + [m2])

    def test_webhook_unreachable_then_back(self):
        n = self.phone()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/webhook"
        s.close()
        self.srv.control("set_webhook", platform=A, bot="bot-a", url=dead)
        try:
            mid = self.srv.control("phone_send_text", number=n, text="to nowhere")["msg_id"]
            ev = self.srv.wait_event("webhook", lambda e: e.get("msg_id") == mid and e["attempt"] == 2)
            self.assertIsNone(ev["status"])
            self.assertIn("Connect", ev["error"] or "")
            self.srv.control("set_webhook", platform=A, bot="bot-a", url=self.sink.url)
            self.sink.wait_for(lambda e: e.get("RCSMessage", {}).get("msgId") == mid)
        finally:
            self.srv.control("set_webhook", platform=A, bot="bot-a", url=self.sink.url)

    def test_dropped_and_delayed_webhooks(self):
        n = self.phone()
        self.srv.control("set_fault", platform=A, kind="webhook_drop", count=1)
        m1 = self.srv.control("phone_send_text", number=n, text="dropped")["msg_id"]
        m2 = self.srv.control("phone_send_text", number=n, text="kept")["msg_id"]
        self.sink.wait_for(lambda e: e.get("RCSMessage", {}).get("msgId") == m2)
        self.assertFalse([e for e in self.sink.events() if e.get("RCSMessage", {}).get("msgId") == m1])
        self.assertEqual([e["result"] for e in self.srv.events("webhook") if e.get("msg_id") == m1], ["dropped"])
        self.srv.control("set_fault", platform=A, kind="webhook_delay", delay=0.3, count=1)
        t0 = time.monotonic()
        m3 = self.srv.control("phone_send_text", number=n, text="late")["msg_id"]
        self.sink.wait_for(lambda e: e.get("RCSMessage", {}).get("msgId") == m3)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)

    def test_api_faults(self):
        n = self.phone()
        self.srv.control("set_fault", platform=A, kind="api_status", status=503, count=2, retry_after=1,
                         path="/messages")
        for _ in range(2):
            st, err, h = self.a.send_text(n, "x")
            self.assertEqual((st, h.get("retry-after")), (503, "1"))
        self.assertEqual(self.a.capabilities(n)[0], 200)       # other paths unaffected
        self.assertEqual(self.a.send_text(n, "x")[0], 202)
        self.srv.control("set_fault", platform=A, kind="api_status", status=500, count=1)
        self.assertEqual(self.a.capabilities(n)[0], 500)
        self.srv.control("set_fault", platform=A, kind="api_delay", delay=0.3, count=1)
        t0 = time.monotonic()
        self.assertEqual(self.a.capabilities(n)[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)

    def test_raw_webhook_requests_for_negative_tests(self):
        r = self.srv.control("webhook_raw", platform=A, bot="bot-a", body="{not json", auth="Bearer wrong")
        self.assertEqual(r["status"], 200)     # the sink accepts anything; a bridge would refuse it
        got = self.sink.requests[-1]
        self.assertEqual((got["body"], got["headers"].get("Authorization")), (b"{not json", "Bearer wrong"))
        self.srv.control("webhook_raw", platform=A, bot="bot-a", json={"event": "x"}, auth="none")
        self.assertNotIn("Authorization", self.sink.requests[-1]["headers"])
        self.srv.control("webhook_raw", platform=A, bot="bot-a", body="a", repeat=100000)
        self.assertEqual(len(self.sink.requests[-1]["body"]), 100000)
        self.assertEqual(self.srv.control("validate_webhook", platform=A, bot="bot-a")["status"], 200)

    def test_stop_and_start_listening(self):
        n = self.phone()
        self.srv.control("stop_listening", platform=A)
        try:
            with self.assertRaises(OSError):
                self.a.capabilities(n)
        finally:
            self.srv.control("start_listening", platform=A)
        self.assertEqual(self.a.capabilities(n)[0], 200)

    def test_runtime_settings(self):
        n = self.phone(online=False)
        self.srv.control("set_platform", platform=A, error_style="plain", send_status=201)
        try:
            st, body, h = self.a.send_text("+33699000000", "x")
            self.assertEqual(st, 404)
            self.assertTrue(h["content-type"].startswith("text/plain"))
            self.assertEqual(self.a.send_text(n, "x")[0], 201)
            self.srv.control("set_platform", platform=A, error_style="empty")
            st, body, h = self.a.send_text("+33699000000", "x")
            self.assertEqual((st, body), (404, b""))
        finally:
            self.srv.control("set_platform", platform=A, error_style="json", send_status=202)
        with self.assertRaises(Exception):
            self.srv.control("set_platform", platform=A, error_style="bogus")


class FilesTest(ServerCase):
    def upload(self, client, size, seed=1, **kw):
        return client.upload(chunks_of(size, seed, 64 * 1024), size, **kw)

    def test_upload_info_send_download_delete(self):
        n = self.phone()
        since = self.srv.last_seq()
        st, body, h = self.upload(self.a, 300_000, name="photo.jpg", file_type="image/jpeg",
                                  until="2030-01-01T00:00:00.000Z")
        self.assertEqual(st, 201, body)
        self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/file.json")))
        f = body["file"]
        self.assertEqual((f["fileSize"], f["validity"]), (300_000, "2030-01-01T00:00:00.000Z"))
        self.assertTrue(h["location"].endswith(f"/files/{f['fileId']}"))
        ev = self.srv.wait_event("file_uploaded", lambda e: e["file_id"] == f["fileId"], since=since)
        self.assertEqual((ev["sha256"], ev["content_type"], ev["size"]), (sha_of(300_000, 1), "image/jpeg", 300_000))
        fs = self.sink.wait_for(lambda e: e.get("event") == "fileStatus" and e["file"]["fileId"] == f["fileId"])
        self.assertEqual(maap.shape(fs), maap.shape(load_fixture("events/fileStatus.json")))
        st, info, _ = self.a.request("GET", f"/files/{f['fileId']}")
        self.assertEqual((st, info["file"]["fileUrl"]), (200, f["fileUrl"]))
        st, size, digest, hh = self.a.download(f["fileUrl"])
        self.assertEqual((st, size, digest, hh["content-type"]), (200, 300_000, sha_of(300_000, 1), "image/jpeg"))
        st, size, _, hh = self.a.download(f["fileUrl"], headers={"Range": "bytes=100-"})
        self.assertEqual((st, size, hh["content-range"]), (206, 299_900, "bytes 100-299999/300000"))
        self.assertEqual(self.a.download(f["fileUrl"], headers={"Range": "bytes=400000-"})[0], 416)
        # send it to a phone: the delivery records the file
        msg = {"RCSMessage": {"fileMessage": {"fileUrl": f["fileUrl"], "fileName": "photo.jpg",
                                              "fileMIMEType": "image/jpeg", "fileSize": 300_000}},
               "messageContact": {"userContact": n}}
        st, body, _ = self.a.send(msg)
        self.assertEqual(st, 202, body)
        got = self.srv.wait_event("phone_received", lambda e: e["msg_id"] == body["RCSMessage"]["msgId"])
        self.assertEqual(got["file"]["sha256"], sha_of(300_000, 1))
        msg["RCSMessage"]["fileMessage"]["fileSize"] = 1
        self.assertEqual(self.a.send(msg)[0], 400)
        self.assertEqual(self.a.request("DELETE", f"/files/{f['fileId']}")[0], 204)
        self.assertEqual(self.a.request("GET", f"/files/{f['fileId']}")[0], 404)
        self.assertEqual(self.a.download(f["fileUrl"])[0], 404)
        msg["RCSMessage"]["fileMessage"]["fileSize"] = 300_000
        self.assertEqual(self.a.send(msg)[0], 400)        # refers to a deleted file

    def test_oversize_upload_refused(self):
        since = self.srv.last_seq()
        st, body, _ = self.upload(self.a, MIB + 1)                       # streamed past the limit
        self.assertEqual(st, 413, body)
        st, body, _ = self.upload(self.a, MIB + 1, chunked=True)         # no Content-Length
        self.assertEqual(st, 413, body)
        st, body, _ = self.upload(self.a, 2 * MIB)                       # declared length over the limit
        self.assertEqual(st, 413, body)
        self.assertEqual(self.upload(self.a, MIB)[0], 201)               # exactly the limit
        rej = self.srv.events("file_rejected", since=since)
        self.assertEqual(len(rej), 3)
        self.assertFalse([f for f in os.listdir(self.srv.data_dir) if f.startswith("f-")], "temporary files left")

    def test_truncated_upload_stores_nothing(self):
        since = self.srv.last_seq()
        files_before = len(self.srv.control("files")["files"])
        boundary = "trunc"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"fileContent\"; filename=\"t\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode()
        path = urllib.parse.urlsplit(self.srv.api_url(A)).path + "/bot-a/files"
        with socket.create_connection(("127.0.0.1", self.srv.info["platforms"][A]["port"]), timeout=5) as s:
            s.sendall((f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-a\r\n"
                       f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 500000\r\n\r\n")
                      .encode() + head + b"z" * 100000)
        ev = self.srv.wait_event("file_rejected", since=since)
        self.assertEqual(ev["reason"], "truncated")
        self.srv.wait_event("api", lambda e: e["path"] == path and e["status"] == 400, since=since)
        self.assertEqual(len(self.srv.control("files")["files"]), files_before)
        self.assertFalse([f for f in os.listdir(self.srv.data_dir) if f.startswith("f-")])

    def test_bad_uploads(self):
        st, _, _ = self.a.request("POST", "/files", b"raw bytes", {"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 415)
        body = b"--b\r\nContent-Disposition: form-data; name=\"fileType\"\r\n\r\nimage/png\r\n--b--\r\n"
        st, _, _ = self.a.request("POST", "/files", body, {"Content-Type": "multipart/form-data; boundary=b"})
        self.assertEqual(st, 400)      # neither file nor fileUrl
        st, _, _ = self.a.request("POST", "/files", b"--b\r\nno headers here", {"Content-Type": "multipart/form-data; boundary=b"})
        self.assertEqual(st, 400)
        st, _, _ = self.a.request("POST", "/files", b"x", {"Content-Type": "multipart/form-data"})
        self.assertEqual(st, 400)

    def test_upload_by_loopback_url(self):
        st, body, _ = self.upload(self.a, 70_000, seed=5)
        src = body["file"]["fileUrl"]
        form = load_fixture("requests/upload_form_url.json")["fields"]
        form["fileUrl"] = src
        boundary = "u1"
        data = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                        for k, v in form.items()) + f"--{boundary}--\r\n".encode()
        st, body, _ = self.a.request("POST", "/files", data, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        self.assertEqual(st, 201, body)
        ev = self.srv.wait_event("file_uploaded", lambda e: e["file_id"] == body["file"]["fileId"])
        self.assertEqual((ev["sha256"], ev["source"], ev["content_type"]), (sha_of(70_000, 5), "url", "image/jpeg"))
        form["fileUrl"] = "http://192.0.2.1/x.jpg"
        data = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                        for k, v in form.items()) + f"--{boundary}--\r\n".encode()
        st, _, _ = self.a.request("POST", "/files", data, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        self.assertEqual(st, 400)

    def test_accepted_upload_mode_and_content_auth(self):
        st, body, _ = self.upload(self.b, 1000)
        self.assertEqual(st, 202, body)
        self.assertEqual(maap.shape(body), maap.shape(load_fixture("responses/file_accepted.json")))
        fs = self.sink_b.wait_for(lambda e: e.get("event") == "fileStatus" and e["file"]["fileId"] == body["fileId"])
        url = fs["file"]["fileUrl"]
        self.assertEqual(self.b.download(url)[0], 401)                 # content_auth on carrier-b
        self.assertEqual(self.b.download(url, with_token=True)[:2], (200, 1000))

    def test_phone_sends_a_file(self):
        n = self.phone()
        r = self.srv.control("phone_send_file", number=n, size=200_000, seed=9, name="clip.mp4", content_type="video/mp4")
        self.assertEqual(r["sha256"], sha_of(200_000, 9))
        ev = self.sink.wait_for(lambda e: e.get("event") == "message" and e["RCSMessage"]["msgId"] == r["msg_id"])
        fm = ev["RCSMessage"]["fileMessage"]
        self.assertEqual((fm["fileSize"], fm["fileMIMEType"], fm["fileName"]), (200_000, "video/mp4", "clip.mp4"))
        self.assertEqual(maap.shape(ev), maap.shape(load_fixture("events/message_file.json")))
        st, size, digest, _ = self.a.download(fm["fileUrl"])
        self.assertEqual((st, size, digest), (200, 200_000, r["sha256"]))
        dl = self.srv.wait_event("file_downloaded", lambda e: e["file_id"] == r["file_id"])
        self.assertTrue(dl["complete"])
        src = os.path.join(self.tmp, "local.bin")
        with open(src, "wb") as f:
            f.write(b"local file")
        r = self.srv.control("phone_send_file", number=n, path=src, name="local.txt", content_type="text/plain")
        self.assertEqual(r["sha256"], hashlib.sha256(b"local file").hexdigest())

    def test_a_download_cut_mid_body_closes_the_connection_then_serves_whole(self):
        n = self.phone()
        r = self.srv.control("phone_send_file", number=n, size=300_000, seed=12, name="cut.bin")
        since = self.srv.last_seq()
        self.srv.control("set_fault", platform=A, kind="content_cut", after=100_000, count=1)
        # Read by hand: the head announces every byte, the body stops short, then EOF (the
        # server closed the connection even though the client asked to keep it alive).
        u = urllib.parse.urlsplit(r["url"])
        with socket.create_connection((u.hostname, u.port), timeout=10) as s:
            s.sendall(f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}\r\nConnection: keep-alive\r\n\r\n".encode())
            data = b""
            while True:
                piece = s.recv(1 << 16)
                if not piece:
                    break
                data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertIn(b"Content-Length: 300000\r\n", head + b"\r\n")
        self.assertEqual(len(body), 100_000)
        dl = self.srv.wait_event("file_downloaded", lambda e: e["file_id"] == r["file_id"], since=since)
        self.assertEqual((dl["bytes"], dl["complete"]), (100_000, False))
        self.assertEqual(len(self.srv.events("fault", since, fault="content_cut")), 1)
        # Used up (count 1): the next download is whole.
        self.assertEqual(self.a.download(r["url"])[:3], (200, 300_000, r["sha256"]))
        # API calls are not content: a pending cut leaves them alone and stays pending.
        self.srv.control("set_fault", platform=A, kind="content_cut", count=1)
        self.assertEqual(self.a.capabilities(n)[0], 200)
        pending = [f for f in self.srv.control("faults")["faults"][A] if f["count"]]
        self.assertEqual([(f["kind"], f["count"]) for f in pending], [("content_cut", 1)])
        self.assertEqual(len(self.srv.events("fault", since, fault="content_cut")), 1)


class FixtureReplayTest(ServerCase):
    """Every request fixture is accepted; every event fixture's shape is produced."""

    index = json.loads((FIXTURES / "index.json").read_text())

    def fixture_numbers(self) -> set[str]:
        out = set()
        for e in self.index["fixtures"]:
            if e["direction"] in ("request", "event"):
                uc = (load_fixture(e["file"]).get("messageContact") or {}).get("userContact")
                if uc:
                    out.add(uc)
        return out

    def test_every_request_fixture_is_accepted(self):
        us = self.srv.client(US, "bot-us", "tok-us")
        for number in sorted(self.fixture_numbers()):
            self.srv.control("add_phone", number=number)
        offline = self.phone(prefix="+1555", online=False)
        seen = 0
        for e in self.index["fixtures"]:
            if e["direction"] != "request":
                continue
            fx = load_fixture(e["file"])
            name = e["file"]
            if e["call"] == "POST messages":
                st, body, _ = us.send(fx)
                self.assertEqual(st, 202, (name, body))
            elif e["call"].startswith("PUT") and "received" in e["call"]:
                mid = self.srv.control("phone_send_text", number="+14251234567", text="read me", bot="bot-us")["msg_id"]
                st, body, _ = us.request("PUT", f"/messages/{mid}/status", fx)
                self.assertEqual(st, 204, (name, body))
            elif e["call"].startswith("PUT"):
                st, body, _ = us.send_text(offline, "to revoke")
                mid = body["RCSMessage"]["msgId"]
                st, body, _ = us.request("PUT", f"/messages/{mid}/status", fx)
                self.assertEqual(st, 204, (name, body))
                self.assertEqual(us.status(mid)[1]["RCSMessage"]["status"], "cancelled")
            elif "fileContent" in e["call"]:
                f = fx["fields"]
                st, body, _ = us.upload(iter([b"\xff\xd8jpeg"]), 6, file_type=f["fileType"], until=f["until"])
                self.assertEqual(st, 201, (name, body))
            elif "fileUrl" in e["call"]:
                st, body, _ = us.upload(iter([b"abc"]), 3)
                f = dict(fx["fields"], fileUrl=body["file"]["fileUrl"])
                data = b"".join(f"--q\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                                for k, v in f.items()) + b"--q--\r\n"
                st, body, _ = us.request("POST", "/files", data, {"Content-Type": "multipart/form-data; boundary=q"})
                self.assertEqual(st, 201, (name, body))
            elif "token" in e["call"]:
                continue    # AuthTest.test_token_endpoint_client_credentials_and_refresh
            else:
                self.fail(f"no replay for {name}: {e['call']}")
            seen += 1
        self.assertGreaterEqual(seen, 19)

    def test_every_event_fixture_shape_is_produced(self):
        n = self.phone()
        produced = {}
        mid = self.sent_ok(self.a, n)
        self.wait_status(self.sink, mid, "delivered")
        self.srv.control("phone_read", number=n, msg_id=mid)
        self.wait_status(self.sink, mid, "displayed")
        for ev in self.sink.events():
            if ev.get("event") == "messageStatus" and ev["RCSMessage"]["msgId"] == mid:
                produced[f"events/messageStatus_{ev['RCSMessage']['status']}.json"] = ev
        n_off = self.phone(online=False)
        mid2 = self.sent_ok(self.a, n_off)
        self.wait_status(self.sink, mid2, "sent")
        self.srv.control("fail_message", msg_id=mid2)
        produced["events/messageStatus_failed.json"] = self.wait_status(self.sink, mid2, "failed")
        t = self.srv.control("phone_send_text", number=n, text="hi")["msg_id"]
        produced["events/message_text.json"] = self.sink.wait_for(lambda e: e["RCSMessage"].get("msgId") == t
                                                                   if "RCSMessage" in e else False)
        f = self.srv.control("phone_send_file", number=n, size=10, seed=1, name="a.jpg", content_type="image/jpeg")
        produced["events/message_file.json"] = self.sink.wait_for(
            lambda e: e.get("RCSMessage", {}).get("msgId") == f["msg_id"])
        self.srv.control("phone_typing", number=n, state="active")
        produced["events/isTyping.json"] = self.sink.wait_for(
            lambda e: e["event"] == "isTyping" and e["messageContact"]["userContact"] == n)
        for kind in ("reply", "action"):
            r = self.srv.control("phone_reply", number=n, kind=kind, display_text="Yes", postback="p")["msg_id"]
            produced[f"events/response_{kind}.json"] = self.sink.wait_for(
                lambda e: e.get("RCSMessage", {}).get("msgId") == r)
        self.srv.control("phone_new_user", number=n)
        produced["events/newUser.json"] = self.sink.wait_for(
            lambda e: e["event"] == "newUser" and e["messageContact"]["userContact"] == n)
        self.srv.control("phone_alias", number=n)
        produced["events/alias.json"] = self.sink.wait_for(
            lambda e: e["event"] == "alias" and e["messageContact"]["userContact"] == n)
        st, body, _ = self.a.upload(iter([b"x"]), 1)
        produced["events/fileStatus.json"] = self.sink.wait_for(
            lambda e: e["event"] == "fileStatus" and e["file"]["fileId"] == body["file"]["fileId"])
        events = [e["file"] for e in self.index["fixtures"] if e["direction"] == "event"]
        self.assertEqual(sorted(produced), sorted(events))
        for name in events:
            self.assertEqual(maap.validate_event(produced[name]), [], name)
            self.assertEqual(maap.shape(produced[name]), maap.shape(load_fixture(name)), name)

    def test_fixture_events_can_be_replayed_to_the_webhook(self):
        for e in self.index["fixtures"]:
            if e["direction"] != "event":
                continue
            fx = load_fixture(e["file"])
            before = len(self.sink.requests)
            r = self.srv.control("webhook_raw", platform=A, bot="bot-a", json=fx)
            self.assertEqual(r["status"], 200)
            got = [q for q in self.sink.requests[before:] if q.get("json") == fx]
            self.assertEqual(len(got), 1, e["file"])
            self.assertEqual(got[0]["headers"].get("Authorization"), HOOK_A)


class BigFileTest(unittest.TestCase):
    """100 MiB each way through a platform whose limit is 100 MiB, with the server's
    peak resident memory measured (VmHWM) against its level before the transfers."""

    SIZE = 100 * MIB
    RSS_BOUND = 24 * MIB

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="maap-big-")
        cls.sink = WebhookSink().start()
        cls.srv = MaapServerProc(cls.tmp, platforms=[platform(
            "big", "bot-big", "tok-big", ["+4479"], webhook=cls.sink.url, max_file_size=cls.SIZE)],
            phones=[{"number": "+447900000001"}]).start()
        cls.api = cls.srv.client("big", "bot-big", "tok-big")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.sink.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_100mb_both_ways_streamed(self):
        self.api.capabilities("+447900000001")   # warm up every code path once
        self.srv.control("phone_send_file", number="+447900000001", size=1000, seed=0)
        self.srv.wait_idle()
        rss0, _ = self.srv.rss()
        t0 = time.monotonic()
        want = sha_of(self.SIZE, 42)
        st, body, _ = self.api.upload(chunks_of(self.SIZE, 42), self.SIZE, name="big.bin")
        t_up = time.monotonic() - t0
        self.assertEqual(st, 201, body)
        self.assertEqual(body["file"]["fileSize"], self.SIZE)
        ev = self.srv.wait_event("file_uploaded", lambda e: e["file_id"] == body["file"]["fileId"])
        self.assertEqual(ev["sha256"], want)
        st, size, digest, _ = self.api.download(body["file"]["fileUrl"])
        self.assertEqual((st, size, digest), (200, self.SIZE, want))
        r = self.srv.control("phone_send_file", number="+447900000001", size=self.SIZE, seed=7, name="phone.bin")
        st, size, digest, _ = self.api.download(r["url"])
        self.assertEqual((st, size, digest), (200, self.SIZE, sha_of(self.SIZE, 7)))
        # one byte over the limit: refused after streaming, nothing kept
        st, body, _ = self.api.upload(chunks_of(self.SIZE + 1, 3), self.SIZE + 1)
        self.assertEqual(st, 413, body)
        _, hwm = self.srv.rss()
        print(f"\n  100 MiB upload {t_up:.2f} s; server RSS before {rss0 / MIB:.1f} MiB, peak {hwm / MIB:.1f} MiB",
              flush=True)
        self.assertLess(hwm - rss0, self.RSS_BOUND, f"peak RSS grew by {(hwm - rss0) / MIB:.1f} MiB")
        self.assertFalse([f for f in os.listdir(self.srv.data_dir) if f.startswith("f-")])


@skip_unless(bool(shutil.which("openssl")), "openssl not installed")
class HttpsTest(unittest.TestCase):
    def test_https_with_a_certificate_from_the_command_line(self):
        tmp = tempfile.mkdtemp(prefix="maap-tls-")
        sink = WebhookSink().start()
        srv = None
        try:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True, timeout=60)
            srv = MaapServerProc(tmp, platforms=[platform("tls", "bot-t", "tok-t", ["+4478"], webhook=sink.url)],
                                 phones=[{"number": "+447800000001"}],
                                 extra_args=["--tls-cert", cert, "--tls-key", key]).start()
            self.assertTrue(srv.api_url("tls").startswith("https://127.0.0.1:"))
            ctx = ssl.create_default_context(cafile=cert)
            api = ApiClient(srv.api_url("tls"), "bot-t", "tok-t", ssl_context=ctx)
            self.assertEqual(api.capabilities("+447800000001")[0], 200)
            st, body, _ = api.send_text("+447800000001", "over TLS")
            self.assertEqual(st, 202)
            sink.wait_for(lambda e: e.get("event") == "messageStatus" and e["RCSMessage"]["status"] == "delivered")
            with self.assertRaises(ssl.SSLError):
                ApiClient(srv.api_url("tls"), "bot-t", "tok-t", ssl_context=ssl.create_default_context()) \
                    .capabilities("+447800000001")
        finally:
            if srv is not None:
                srv.stop()
            sink.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
