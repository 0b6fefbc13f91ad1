"""The sans-IO parts of the MaaP test server: the streaming multipart parser (split at
every offset), request validation, event validation, and every fixture against them."""

from __future__ import annotations

import json
import os
import unittest

from tests.peers.rcs import maap, multipart
from tests.peers.rcs.harness import FIXTURES, load_fixture
from tests.peers.rcs.maap import ApiError


def parse_all(body: bytes, boundary: bytes, step: int | None = None, split: int | None = None) -> list:
    p = multipart.MultipartParser(boundary)
    events = []
    if split is not None:
        pieces = [body[:split], body[split:]]
    else:
        pieces = [body[i:i + step] for i in range(0, len(body), step)]
    for piece in pieces:
        events += p.feed(piece)
    p.close()
    return events


def collapse(events: list) -> list:
    """Parts with their data joined: [(name, filename, content_type, bytes), ...]."""
    out, cur = [], None
    for e in events:
        if isinstance(e, multipart.Part):
            cur = [e.name, e.filename, e.content_type, bytearray()]
        elif isinstance(e, multipart.Data):
            cur[3] += e.data
        elif isinstance(e, multipart.PartEnd):
            out.append((cur[0], cur[1], cur[2], bytes(cur[3])))
    return out


class MultipartTest(unittest.TestCase):
    B = "xYzZY"
    # File data that contains near-delimiters: CRLF, "--", a boundary prefix.
    DATA = b"\r\n--xYz\r\n--xYzZ\r\n-" + bytes(range(256)) + b"\r\n--xYzZ"

    def body(self) -> bytes:
        return (b"preamble to ignore\r\n" + multipart.encode_fields(self.B, [("fileType", "image/jpeg"), ("until", "")])
                + multipart.file_part_head(self.B, "fileContent", 'a "b".jpg', "image/jpeg") + self.DATA
                + multipart.closing(self.B) + b"epilogue")

    def test_every_split_offset_gives_the_same_parts(self):
        body = self.body()
        want = collapse(parse_all(body, self.B.encode(), step=len(body)))
        self.assertEqual(want[0][:2], ("fileType", None))
        self.assertEqual(want[0][3], b"image/jpeg")
        self.assertEqual(want[1][3], b"")
        self.assertEqual(want[2][:3], ("fileContent", 'a "b".jpg', "image/jpeg"))
        self.assertEqual(want[2][3], self.DATA)
        for i in range(len(body) + 1):
            self.assertEqual(collapse(parse_all(body, self.B.encode(), split=i)), want, f"split at {i}")
        for step in (1, 2, 3, 7):
            self.assertEqual(collapse(parse_all(body, self.B.encode(), step=step)), want, f"step {step}")

    def test_body_starting_with_the_delimiter_and_no_part_headers(self):
        body = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--"
        self.assertEqual(collapse(parse_all(body, b"b", step=1)), [("x", None, None, b"1")])

    def test_data_is_streamed_not_held(self):
        p = multipart.MultipartParser(b"bnd")
        p.feed(multipart.file_part_head("bnd", "fileContent", "f", "application/octet-stream"))
        held = 0
        for _ in range(200):
            evs = p.feed(b"\0" * 65536)
            held = len(p.buf)
            self.assertTrue(any(isinstance(e, multipart.Data) for e in evs))
        self.assertLess(held, 16)

    def test_malformed(self):
        cases = [
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",          # no name
            b"--b\r\nX-Other: 1\r\n\r\nx\r\n--b--",                              # no disposition
            b"--b\r\nno colon line\r\n\r\nx\r\n--b--",
            b"--bjunk\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--",
        ]
        for body in cases:
            with self.assertRaises(multipart.MultipartError, msg=body):
                parse_all(body, b"b", step=len(body))
        with self.assertRaises(multipart.MultipartError):    # truncated
            parse_all(b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nxx", b"b", step=4)
        big = b"--b\r\nContent-Disposition: form-data; name=a\r\nX: " + b"y" * 9000 + b"\r\n\r\nx\r\n--b--"
        with self.assertRaises(multipart.MultipartError):
            parse_all(big, b"b", step=1000)
        many = b"".join(b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" for _ in range(40)) + b"--b--"
        with self.assertRaises(multipart.MultipartError):
            parse_all(many, b"b", step=len(many))

    def test_content_type_boundary(self):
        self.assertEqual(multipart.boundary_from_content_type('multipart/form-data; boundary="a b;c"'), b"a b;c")
        self.assertEqual(multipart.boundary_from_content_type("Multipart/Form-Data;boundary=xyz"), b"xyz")
        for bad in (None, "application/json", "multipart/form-data", "multipart/form-data; boundary=" + "x" * 71):
            with self.assertRaises(multipart.MultipartError):
                multipart.boundary_from_content_type(bad)


class SendValidationTest(unittest.TestCase):
    def ok(self, obj) -> maap.SendRequest:
        return maap.parse_send(obj)

    def bad(self, obj, status=400):
        with self.assertRaises(ApiError) as cm:
            maap.parse_send(obj)
        self.assertEqual(cm.exception.status, status)
        return cm.exception.message

    def test_text(self):
        r = self.ok({"RCSMessage": {"textMessage": "hi"}, "messageContact": {"userContact": "+33611111111"}})
        self.assertEqual((r.kind, r.contact.user_contact), ("textMessage", "+33611111111"))

    def test_rejections(self):
        c = {"userContact": "+33611111111"}
        self.bad([])
        self.bad({"messageContact": c})
        self.bad({"RCSMessage": {"textMessage": "x"}})
        self.bad({"RCSMessage": {"textMessage": "x"}, "messageContact": {}})
        self.bad({"RCSMessage": {"textMessage": "x"}, "messageContact": {"userContact": "0611111111"}})
        self.bad({"RCSMessage": {}, "messageContact": c})
        self.bad({"RCSMessage": {"textMessage": "x", "isTyping": "active"}, "messageContact": c})
        self.bad({"RCSMessage": {"textMessage": ""}, "messageContact": c})
        self.bad({"RCSMessage": {"isTyping": "busy"}, "messageContact": c})
        self.bad({"RCSMessage": {"fileMessage": {"fileUrl": "ftp://x/y"}}, "messageContact": c})
        self.bad({"RCSMessage": {"fileMessage": {"fileUrl": "http://x/y", "fileSize": -1}}, "messageContact": c})
        reply = {"reply": {"displayText": "ok", "postback": {"data": "p"}}}
        self.bad({"RCSMessage": {"textMessage": "x", "suggestedChipList": {"suggestions": [reply] * 12}},
                  "messageContact": c})
        self.bad({"RCSMessage": {"textMessage": "x", "suggestedChipList": {"suggestions": [
            {"reply": {"displayText": "x" * 26}}]}}, "messageContact": c})
        self.bad({"RCSMessage": {"textMessage": "x", "suggestedChipList": {"suggestions": [
            {"action": {"displayText": "x", "urlAction": {}, "dialerAction": {}}}]}}, "messageContact": c})
        self.bad({"RCSMessage": {"isTyping": "active", "suggestedChipList": {"suggestions": [reply]}},
                  "messageContact": c})

    def test_status_update_spellings(self):
        for v, want in (("cancelled", "cancelled"), ("canceled", "cancelled"), ("displayed", "displayed")):
            self.assertEqual(maap.parse_status_update({"RCSMessage": {"status": v}}), want)
        for bad in ({}, {"RCSMessage": {"status": "delivered"}}, {"RCSMessage": "x"}):
            with self.assertRaises(ApiError):
                maap.parse_status_update(bad)

    def test_json_errors(self):
        for body in (b"", b"  ", b"{", b"\xff\xfe", b"{'a': 1}"):
            with self.assertRaises(ApiError) as cm:
                maap.parse_json(body)
            self.assertEqual(cm.exception.status, 400)

    def test_error_styles(self):
        for style in maap.ERROR_STYLES:
            ctype, body = maap.error_body(style, 404, "nope")
            if style in ("json", "reason"):
                self.assertEqual(maap.shape(json.loads(body)),
                                 maap.shape(load_fixture(f"responses/error_{'message' if style == 'json' else 'reason'}.json")))
            elif style == "empty":
                self.assertEqual((ctype, body), (None, b""))


class FixtureTest(unittest.TestCase):
    """Every fixture is in the index, and valid by the same checks the server applies."""

    index = json.loads((FIXTURES / "index.json").read_text())

    def test_index_lists_every_fixture(self):
        listed = {e["file"] for e in self.index["fixtures"]}
        on_disk = {f"{d}/{f}" for d in ("requests", "events", "responses") for f in os.listdir(FIXTURES / d)}
        self.assertEqual(listed, on_disk)

    def test_message_requests_parse(self):
        n = 0
        for e in self.index["fixtures"]:
            if e["direction"] == "request" and e["call"] == "POST messages":
                r = maap.parse_send(load_fixture(e["file"]))
                self.assertIn(r.kind, maap.CONTENT_KEYS, e["file"])
                n += 1
        self.assertGreaterEqual(n, 14)

    def test_status_requests_parse(self):
        for e in self.index["fixtures"]:
            if e["call"].startswith("PUT messages"):
                self.assertIn(maap.parse_status_update(load_fixture(e["file"])), ("cancelled", "displayed"))

    def test_events_validate(self):
        kinds = set()
        for e in self.index["fixtures"]:
            if e["direction"] == "event":
                ev = load_fixture(e["file"])
                self.assertEqual(maap.validate_event(ev), [], e["file"])
                kinds.add(ev["event"])
        self.assertEqual(kinds, set(maap.EVENT_TYPES))

    def test_built_events_match_fixture_shapes(self):
        n = "+14251234567"
        built = {
            "events/message_text.json": maap.ev_message("x", n, {"textMessage": "hi"}),
            "events/message_file.json": maap.ev_message("x", n, {"fileMessage": {
                "fileName": "a.jpg", "fileUrl": "http://h/a.jpg", "fileMIMEType": "image/jpeg", "fileSize": 1}}),
            "events/isTyping.json": maap.ev_typing(n, "idle"),
            "events/messageStatus_delivered.json": maap.ev_status("x", n, "delivered"),
            "events/response_action.json": maap.ev_response(n, "action", "Visit", "pb"),
            "events/response_reply.json": maap.ev_response(n, "reply", "Yes", "pb"),
            "events/newUser.json": maap.ev_new_user(n),
            "events/alias.json": maap.ev_alias(n, "chat"),
            "events/fileStatus.json": maap.ev_file_status({"fileId": "f", "fileUrl": "http://h/f", "fileSize": 3,
                                                           "status": "ready", "validity": maap.now_iso()}),
        }
        for name, ev in built.items():
            self.assertEqual(maap.validate_event(ev), [], name)
            self.assertEqual(maap.shape(ev), maap.shape(load_fixture(name)), name)

    def test_bad_events_are_caught(self):
        self.assertTrue(maap.validate_event({"event": "nope"}))
        self.assertTrue(maap.validate_event({"event": "message", "RCSMessage": {"msgId": "x"},
                                             "messageContact": {"userContact": "+1"}}))
        self.assertTrue(maap.validate_event({"event": "messageStatus", "RCSMessage": {"msgId": "x", "status": "read"},
                                             "messageContact": {"userContact": "+14251234567"}}))
        self.assertTrue(maap.validate_event({"event": "fileStatus", "file": {"fileId": "x"}}))


if __name__ == "__main__":
    unittest.main()
