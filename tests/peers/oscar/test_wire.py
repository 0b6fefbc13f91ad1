"""The OSCAR codec (wire.py) held to the public vectors in tests/vectors/oscar.json, plus
round trips and malformed input."""

import json
import os
import random
import unittest
from pathlib import Path

from tests.peers.oscar import wire

VECTORS = Path(os.environ.get("PASSERELLE_VECTORS_DIR") or Path(__file__).resolve().parents[2] / "vectors") / "oscar.json"


def load_vectors():
    with open(VECTORS) as f:
        return {v["name"]: v for v in json.load(f)["vectors"]}


class VectorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vectors = load_vectors()

    def of_kind(self, kind):
        return [v for v in self.vectors.values() if v["kind"] == kind]

    def test_every_vector_is_covered(self):
        known = {"bucp-hash", "roast", "flap", "flap+snac"}
        self.assertTrue(self.vectors)
        for v in self.vectors.values():
            self.assertIn(v["kind"], known, v["name"])

    def test_bucp_hashes(self):
        for v in self.of_kind("bucp-hash"):
            with self.subTest(v["name"]):
                key = v["inputs"]["authkey"].encode()
                pw = v["inputs"]["password"].encode()
                fn = wire.strong_md5 if "md5(password)" in v["rule"] else wire.weak_md5
                self.assertEqual(fn(key, pw).hex(), v["hex"])

    def test_roast(self):
        for v in self.of_kind("roast"):
            with self.subTest(v["name"]):
                roasted = wire.roast(v["inputs"]["password"].encode())
                self.assertEqual(roasted.hex(), v["hex"])
                self.assertEqual(wire.roast(roasted), v["inputs"]["password"].encode())

    def test_flap_frames(self):
        for v in self.of_kind("flap"):
            with self.subTest(v["name"]):
                raw = bytes.fromhex(v["hex"])
                f = wire.decode_flap(raw)
                fl = v["fields"]
                self.assertEqual((f.channel, f.sequence, f.payload.hex()), (fl["channel"], fl["sequence"], fl["payload"]))
                self.assertEqual(wire.encode_flap(fl["channel"], fl["sequence"], bytes.fromhex(fl["payload"])), raw)
                self.assertEqual(wire.FlapDecoder().feed(raw), [f])

    def _snac_frame(self, v):
        raw = bytes.fromhex(v["hex"])
        fl = v["fields"]
        f = wire.decode_flap(raw)
        self.assertEqual((f.channel, f.sequence), (fl["channel"], fl["sequence"]))
        s = wire.decode_snac(f.payload)
        self.assertEqual((s.family, s.subtype, s.flags, s.request_id),
                         (int(fl["family"], 16), int(fl["subtype"], 16), fl.get("flags", 0), fl["request_id"]))
        return raw, fl, s

    def _reencode(self, fl, s, data):
        return wire.encode_flap(fl["channel"], fl["sequence"],
                                wire.encode_snac(s.family, s.subtype, data, fl["request_id"], fl.get("flags", 0)))

    def test_bucp_challenge_request(self):
        v = self.vectors["O5-bucp-challenge-request"]
        raw, fl, s = self._snac_frame(v)
        tlvs, _ = wire.decode_tlvs(s.data)
        self.assertEqual([(t, val.decode()) for t, val in tlvs], [(x["type"], x["value"]) for x in fl["tlvs"]])
        data = wire.encode_tlvs([(x["type"], x["value"].encode()) for x in fl["tlvs"]])
        self.assertEqual(self._reencode(fl, s, data), raw)

    def test_icbm_channel1_message(self):
        v = self.vectors["O6-icbm-ch1-hi"]
        raw, fl, s = self._snac_frame(v)
        m = wire.decode_icbm_send(s.data)
        self.assertEqual(m.cookie.hex(), fl["cookie"])
        self.assertEqual((m.channel, m.screen_name), (fl["icbm_channel"], fl["screen_name"]))
        self.assertEqual(m.wants_ack, fl["request_host_ack"])
        self.assertFalse(m.store_offline)
        frags = m.fragments()
        self.assertEqual(len(frags), len(fl["fragments"]))
        rebuilt = []
        for got, want in zip(frags, fl["fragments"]):
            self.assertEqual((got.id, got.version), (want["id"], want["version"]))
            if "text" in want:
                self.assertEqual(wire.text_from_fragments([got]), (want["text"], want["charset"]))
                cs, body = wire.encode_text(want["text"], want["charset"])
                rebuilt.append(wire.Fragment(want["id"], want["version"], wire.u16(cs) + wire.u16(want["subset"]) + body))
            else:
                self.assertEqual(got.data.hex(), want["data"])
                rebuilt.append(wire.Fragment(want["id"], want["version"], bytes.fromhex(want["data"])))
        data = wire.encode_icbm_send(bytes.fromhex(fl["cookie"]), fl["screen_name"], channel=fl["icbm_channel"],
                                     ack=fl["request_host_ack"], fragments=rebuilt)
        self.assertEqual(self._reencode(fl, s, data), raw)
        # the default builder picks the same fragments for ASCII text
        self.assertEqual(wire.encode_icbm_send(bytes.fromhex(fl["cookie"]), "user2", "hi", ack=True), data)

    def test_typing(self):
        v = self.vectors["O7-typing-begun"]
        raw, fl, s = self._snac_frame(v)
        cookie, channel, sn, event = wire.decode_typing(s.data)
        self.assertEqual((cookie.hex(), channel, sn, event), (fl["cookie"], fl["icbm_channel"], fl["screen_name"], fl["event"]))
        self.assertEqual(self._reencode(fl, s, wire.encode_typing(cookie, sn, event, channel)), raw)

    def test_client_online(self):
        v = self.vectors["O9-client-online"]
        raw, fl, s = self._snac_frame(v)
        entries = wire.decode_client_online(s.data)
        self.assertEqual([list(e) for e in entries], fl["versions"])
        self.assertEqual(self._reencode(fl, s, wire.encode_client_online([tuple(e) for e in fl["versions"]])), raw)


class CodecTest(unittest.TestCase):
    def test_charsets(self):
        for text, cs in (("hello", 0), ("café déjà vu", 3), ("привет", 2), ("日本語", 2), ("ok 😀", 2)):
            with self.subTest(text):
                got_cs, body = wire.encode_text(text)
                self.assertEqual(got_cs, cs)
                self.assertEqual(wire.decode_text(got_cs, body), text)
        self.assertEqual(len(wire.encode_text("😀")[1]), 4)  # surrogate pair in UCS-2BE/UTF-16BE

    def test_user_info_roundtrip(self):
        info = wire.UserInfo("Some Body", 0, [(1, wire.u16(wire.CLASS_FREE | wire.CLASS_AWAY)), (3, wire.u32(1234)), (6, wire.u32(0x10001))])
        r = wire.Reader(wire.encode_user_info(info))
        back = wire.decode_user_info(r)
        self.assertTrue(r.at_end())
        self.assertEqual(back, info)
        self.assertTrue(back.away)
        self.assertEqual((back.icq_status, back.online_since), (0x10001, 1234))

    def test_rate_params_roundtrip(self):
        classes = [wire.RateClass(1, 80, 2500, 2000, 1500, 800, 6000), wire.RateClass(2, 20, 5100, 5000, 4000, 3000, 6000, 4887, 12, 1)]
        members = {1: [(1, 2), (1, 6)], 2: [(4, 6)]}
        back = wire.decode_rate_params(wire.encode_rate_params(classes, members))
        self.assertEqual(back[1], members)
        self.assertEqual(back[0][1], classes[1])
        self.assertEqual(back[0][0].current, 6000)

    def test_rate_change_documented_example(self):
        # The OSERVICE 0x000A example dump in the protocol documents (class 3 warning).
        snac = bytes.fromhex("0001000a8000851b5765" "0006000100020003" "0002" "0003" "00000014" "000013ec" "00001388"
                             "00000fa0" "00000bb8" "00001317" "00001770" "00000000" "00")
        s = wire.decode_snac(snac)
        code, c = wire.decode_rate_change(s.data)
        self.assertEqual((code, c.id, c.window, c.clear, c.alert, c.limit, c.disconnect, c.current, c.max),
                         (2, 3, 20, 5100, 5000, 4000, 3000, 4887, 6000))
        self.assertEqual(wire.encode_rate_change(code, c), s.data)

    def test_rate_level_formula(self):
        self.assertEqual(wire.rate_level(6000, 0, 20, 6000), 5700)
        self.assertEqual(wire.rate_level(6000, 100000, 20, 6000), 6000)
        self.assertAlmostEqual(wire.rate_level(4000, 2000, 10, 6000), 3800)

    def test_ssi_roundtrip(self):
        items = [wire.SsiItem("", 0, 0, wire.SSI_GROUP, [(0xC8, wire.u16(1))]),
                 wire.SsiItem("Buddies", 1, 0, wire.SSI_GROUP, [(0xC8, wire.u16(7))]),
                 wire.SsiItem("123456", 1, 7, wire.SSI_BUDDY, [(0x66, b""), (0x131, "Zoé".encode())])]
        back, ts = wire.decode_ssi_list(wire.encode_ssi_list(items, 99))
        self.assertEqual((back, ts), (items, 99))

    def test_icq_meta_offline_documented_example(self):
        # SNAC(15,03)/0041 example from the protocol documents.
        data = bytes.fromhex("000100747200" "8fe45e00" "4100" "0200" "e9030000" "d207" "0c0c061d" "0100" "5c00") + \
            b"test plaintext offline message from \r\nuin1001 to uin 6218895\r\ntoday: 12.12.2002 06:28 GMT\r\n\x00"
        m = wire.decode_icq_meta(data)
        self.assertEqual((m.uin, m.type, m.seq), (6218895, wire.META_OFFLINE_MSG, 2))
        off = wire.decode_offline_message(m.data)
        self.assertEqual((off.sender_uin, off.year, off.month, off.day, off.hour, off.minute, off.msg_type),
                         (1001, 2002, 12, 12, 6, 29, 1))
        self.assertTrue(off.text.startswith(b"test plaintext"))
        self.assertEqual(wire.encode_icq_meta(wire.IcqMeta(m.uin, m.type, m.seq, wire.encode_offline_message(off))), data)

    def test_auth_documented_examples(self):
        self.assertEqual(wire.decode_auth_request(bytes.fromhex("07363231383839360006706c656173650000")), ("6218896", "please"))
        self.assertEqual(wire.encode_auth_request("6218896", "please").hex(), "07363231383839360006706c656173650000")
        self.assertEqual(wire.decode_auth_reply(bytes.fromhex("0736323138383935000005736f727279")), ("6218895", False, "sorry"))
        self.assertEqual(wire.encode_auth_reply("6218895", False, "sorry").hex(), "0736323138383935000005736f727279")

    def test_warning_documented_examples(self):
        # ICBM 0x0008 / 0x0009 and OSERVICE 0x0010 example dumps in the protocol documents.
        req = wire.decode_snac(bytes.fromhex("000400080000001b0008" "0000" "0e" + b"sweetgirl38462".hex()))
        self.assertEqual(wire.decode_evil_request(req.data), (False, "sweetgirl38462"))
        self.assertEqual(wire.encode_evil_request("sweetgirl38462"), req.data)
        self.assertEqual(wire.decode_evil_request(wire.encode_evil_request("bob", anonymous=True)), (True, "bob"))
        reply = wire.decode_snac(bytes.fromhex("0004000900000017000800c801ed"))
        self.assertEqual(wire.decode_evil_reply(reply.data), (200, 493))
        self.assertEqual(wire.encode_evil_reply(200, 493), reply.data)
        note = wire.decode_snac(bytes.fromhex(
            "0001001000008e36c7b1" "000a" "0736323138383935" "0000" "0004" "000100020006" "000400020000"
            "000f000400000000" "000300043de7388b" "00010001"))
        level, warner = wire.decode_evil_notification(note.data)
        self.assertEqual((level, warner.screen_name, warner.warning, warner.online_since), (10, "6218895", 0, 0x3DE7388B))
        # anonymous: the level alone
        self.assertEqual(wire.decode_evil_notification(wire.u16(180)), (180, None))
        info = wire.UserInfo("bob", 30, [(0x0001, wire.u16(wire.CLASS_FREE))])
        self.assertEqual(wire.decode_evil_notification(wire.encode_evil_notification(150, info)), (150, info))
        with self.assertRaises(wire.WireError):
            wire.decode_evil_request(wire.u16(0) + wire.str8(""))

    def test_framer_limits(self):
        dec = wire.FlapDecoder(max_payload=100)
        with self.assertRaises(wire.WireError):
            dec.feed(wire.encode_flap(2, 1, b"x" * 101)[:6])
        with self.assertRaises(wire.WireError):
            wire.FlapDecoder().feed(b"GET / HTTP/1.1\r\n")
        with self.assertRaises(wire.WireError):
            wire.FlapDecoder().feed(b"\x2a\x09\x00\x01\x00\x00")
        # split delivery
        dec = wire.FlapDecoder()
        raw = wire.encode_flap(2, 7, b"abc") * 2
        got = []
        for b in raw:
            got += dec.feed(bytes([b]))
        self.assertEqual([f.payload for f in got], [b"abc", b"abc"])

    def test_truncated_inputs_raise_wire_error_only(self):
        rng = random.Random(7)
        samples = [
            wire.encode_icbm_send(b"\0" * 8, "bob", "hello", ack=True),
            wire.encode_ssi_list([wire.SsiItem("x", 1, 2, 0, [(0x66, b"")])], 5),
            wire.encode_rate_params([wire.RateClass(1, 1, 1, 1, 1, 1, 1)], {1: [(1, 2)]}),
            wire.encode_icq_meta(wire.IcqMeta(1, 0x3C, 2)),
            wire.encode_evil_notification(150, wire.UserInfo("bob", 0, [(1, wire.u16(0x10))])),
        ]
        parsers = [wire.decode_icbm_send, wire.decode_ssi_list, wire.decode_rate_params, wire.decode_icq_meta,
                   wire.decode_icbm_incoming, wire.decode_typing, wire.decode_snac, wire.decode_auth_reply,
                   wire.decode_icbm_params, lambda d: wire.decode_user_info(wire.Reader(d)),
                   wire.decode_evil_request, wire.decode_evil_reply, wire.decode_evil_notification]
        for s in samples:
            for cut in range(len(s)):
                for p in parsers:
                    try:
                        p(s[:cut])
                    except wire.WireError:
                        pass
        for _ in range(300):
            blob = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
            for p in parsers:
                try:
                    p(blob)
                except wire.WireError:
                    pass


if __name__ == "__main__":
    unittest.main()
