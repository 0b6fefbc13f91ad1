"""Checks the SMSC simulator (tests/peers/smsc/smsc.js on npm smpp 0.5.1) that the SMPP
integration tests rely on, with an independent raw-socket SMPP client.

    /usr/bin/python3 -m unittest tests.integration.test_smsc_sim -v
"""

import os
import re
import struct
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib import procs  # noqa: E402
from lib.smpp_client import (  # noqa: E402
    ENQUIRE_LINK, ESME_RBINDFAIL, ESME_RINVBNDSTS, ESME_RINVCMDLEN, ESME_ROK,
    ESME_RTHROTTLED, GENERIC_NACK, TLV_MESSAGE_STATE, TLV_RECEIPTED_MESSAGE_ID,
    ConnectionClosed, SmppClient, gsm_decode, gsm_encode)
from lib.smsc import Smsc  # noqa: E402

SRC = "33700000001"
DST = "33611111111"


class SmscSimTest(procs.HarnessTestCase):

    def smsc(self, **options) -> Smsc:
        s = Smsc(self.tmp, **options).start()
        self.addCleanup(s.stop)
        return s

    def client(self, smsc: Smsc, bind: str | None = "transceiver") -> SmppClient:
        c = SmppClient(smsc.port)
        self.addCleanup(c.close)
        if bind:
            self.assertEqual(c.bind(bind), ESME_ROK)
        return c

    def test_bind_submit_enquire_unbind(self):
        smsc = self.smsc()
        bad = self.client(smsc, bind=None)
        self.assertEqual(bad.bind("transceiver", "passerelle", "wrong"), ESME_RBINDFAIL)
        self.assertEqual(bad.submit_sm(SRC, DST, b"x")[0], ESME_RINVBNDSTS)

        c = self.client(smsc)
        text = "Hé {ok} €5 @home"
        status, mid = c.submit_sm(SRC, DST, gsm_encode(text), registered_delivery=1)
        self.assertEqual(status, ESME_ROK)
        self.assertRegex(mid, r"^[0-9A-F]{10}$")
        status2, mid2 = c.submit_sm(SRC, DST, "Привет 👋".encode("utf-16-be"), data_coding=8)
        self.assertEqual(status2, ESME_ROK)
        self.assertNotEqual(mid, mid2)
        self.assertEqual(c.enquire_link(), ESME_ROK)

        msgs = smsc.messages()
        self.assertEqual(len(msgs), 2)
        m = msgs[0]
        self.assertEqual((m["source_addr"], m["destination_addr"]), (SRC, DST))
        self.assertEqual((m["source_addr_ton"], m["dest_addr_ton"]), (1, 1))
        self.assertEqual(m["message_id"], mid)
        self.assertEqual(m["command_status"], 0)
        self.assertEqual(m["system_id"], "passerelle")
        self.assertEqual(m["registered_delivery"], 1)
        self.assertEqual(bytes.fromhex(m["short_message"]), gsm_encode(text))
        self.assertEqual(m["text"], text)
        self.assertEqual(msgs[1]["text"], "Привет 👋")
        self.assertEqual(msgs[1]["data_coding"], 8)

        self.assertEqual(c.unbind(), ESME_ROK)
        with self.assertRaises(ConnectionClosed):
            c.read_pdu(timeout=3)
        stats = smsc.stats()
        self.assertEqual((stats["binds"], stats["bind_failures"], stats["submits"]), (1, 1, 2))
        self.assertEqual(stats["by_status"], {"0x0": 2})
        self.assertEqual(stats["unbinds"], 1)

        # the buffered JSON log is complete once the process has stopped
        self.assertEqual(smsc.stop(), 0)
        lines = smsc.log_path.read_text().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertIn(mid, lines[0])

    def test_throttle_every(self):
        smsc = self.smsc(throttle_every=3)
        c = self.client(smsc)
        results = [c.submit_sm(SRC, DST, b"hi") for _ in range(6)]
        self.assertEqual([s for s, _ in results], [0, 0, ESME_RTHROTTLED, 0, 0, ESME_RTHROTTLED])
        self.assertIsNone(results[2][1])
        self.assertEqual(smsc.stats()["by_status"], {"0x0": 4, "0x58": 2})
        self.assertEqual(len({mid for s, mid in results if s == 0}), 4)

    def test_receipts(self):
        smsc = self.smsc(receipts=True)
        c = self.client(smsc)
        status, mid = c.submit_sm(SRC, DST, gsm_encode("Hello there, this is a receipt test"),
                                  registered_delivery=1)
        self.assertEqual(status, ESME_ROK)
        no_receipt = c.submit_sm(SRC, DST, b"none wanted", registered_delivery=0)
        self.assertEqual(no_receipt[0], ESME_ROK)
        dr = c.next_deliver_sm(timeout=5)
        self.assertEqual(dr.esm_class, 0x04)
        self.assertEqual((dr.source_addr, dr.destination_addr), (DST, SRC))
        self.assertEqual(dr.tlvs[TLV_RECEIPTED_MESSAGE_ID], mid.encode() + b"\x00")
        self.assertEqual(dr.tlvs[TLV_MESSAGE_STATE], b"\x02")
        self.assertRegex(
            gsm_decode(dr.short_message),
            r"^id:" + re.escape(mid) + r" sub:001 dlvrd:001 submit date:\d{10} "
            r"done date:\d{10} stat:DELIVRD err:000 text:Hello there, this is$")
        self.assertEqual(smsc.wait_for_stat("receipts_acked", 1)["receipts_sent"], 1)

        # a receipt whose session is gone waits for the next bind, with the chosen stat
        smsc.configure(receipt_stat="UNDELIV", receipt_delay_ms=300)
        status, mid2 = c.submit_sm(SRC, DST, b"later", registered_delivery=1)
        self.assertEqual(status, ESME_ROK)
        c.close()
        self.assertEqual(smsc.wait_for_stat("receipts_pending", 1)["receipts_sent"], 1)
        c2 = self.client(smsc)
        dr2 = c2.next_deliver_sm(timeout=5)
        self.assertEqual(dr2.tlvs[TLV_RECEIPTED_MESSAGE_ID], mid2.encode() + b"\x00")
        self.assertEqual(dr2.tlvs[TLV_MESSAGE_STATE], b"\x05")
        self.assertIn(" dlvrd:000 ", gsm_decode(dr2.short_message))
        self.assertIn(" stat:UNDELIV ", gsm_decode(dr2.short_message))
        self.assertEqual(smsc.wait_for_stat("receipts_acked", 2)["receipts_pending"], 0)

    def test_mo_split_out_of_order(self):
        smsc = self.smsc()
        c = self.client(smsc)
        text = "Long reply with GSM extension characters {[|]}~^€\\ and more " * 4
        answer = {}

        t = threading.Thread(target=lambda: answer.update(
            smsc.mo("+" + DST, "+" + SRC, text, split=3, order=[2, 1, 3])))
        t.start()
        parts = [c.next_deliver_sm(timeout=5) for _ in range(3)]
        t.join(10)
        self.assertEqual(answer.get("ok"), True, answer)
        self.assertEqual(answer["statuses"], [0, 0, 0])

        concat = [p.concat() for p in parts]
        self.assertEqual([seq for _, _, seq in concat], [2, 1, 3])
        self.assertEqual({total for _, total, _ in concat}, {3})
        self.assertEqual(len({ref for ref, _, _ in concat}), 1)
        for p in parts:
            self.assertEqual(p.esm_class & 0x40, 0x40)
            self.assertEqual(p.data_coding, 0)
            self.assertEqual(p.udh[:3], b"\x05\x00\x03")
            self.assertEqual((p.source_addr, p.source_addr_ton, p.source_addr_npi), (DST, 1, 1))
            self.assertEqual(p.destination_addr, SRC)
            self.assertLessEqual(len(p.payload), 153)
            self.assertNotEqual(p.payload[-1:], b"\x1b")  # no escape split across parts
        by_seq = sorted(parts, key=lambda p: p.concat()[2])
        self.assertEqual("".join(p.text() for p in by_seq), text)

        # UCS-2 with a character outside the BMP, one part
        t = threading.Thread(target=lambda: answer.update(smsc.mo("+" + DST, "+" + SRC, "Ça va 😀 ?")))
        t.start()
        p = c.next_deliver_sm(timeout=5)
        t.join(10)
        self.assertEqual((p.data_coding, p.esm_class), (8, 0))
        self.assertEqual(p.text(), "Ça va 😀 ?")
        self.assertEqual(smsc.stats()["mo_acked"], 4)

    def test_mo_without_receiver_and_refused(self):
        smsc = self.smsc(mo_timeout_ms=500)
        self.assertFalse(smsc.mo("+1", "+2", "x")["ok"])
        c = self.client(smsc)
        answer = {}
        t = threading.Thread(target=lambda: answer.update(smsc.mo("+" + DST, "+" + SRC, "x")))
        t.start()
        c.next_deliver_sm(timeout=5, status=0x64)
        t.join(10)
        self.assertEqual((answer["ok"], answer["status"]), (True, 0x64))
        # no answer at all -> timeout
        a = smsc.mo("+" + DST, "+" + SRC, "y")
        self.assertFalse(a["ok"])
        self.assertIn("timeout", a["error"])

    def test_drop_after(self):
        smsc = self.smsc(drop_after=2)
        c = self.client(smsc)
        self.assertEqual(c.submit_sm(SRC, DST, b"one")[0], ESME_ROK)
        c.send_pdu(0x00000004, b"\x00\x01\x01" + SRC.encode() + b"\x00\x01\x01" + DST.encode()
                   + b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03two")
        with self.assertRaises(ConnectionClosed):
            c.read_pdu(timeout=3)  # closed without a submit_sm_resp
        c2 = self.client(smsc)  # once per process: the 4th is answered
        self.assertEqual(c2.submit_sm(SRC, DST, b"three")[0], ESME_ROK)
        self.assertEqual(c2.submit_sm(SRC, DST, b"four")[0], ESME_ROK)
        msgs = smsc.messages()
        self.assertEqual([m.get("dropped", False) for m in msgs], [False, True, False, False])
        self.assertEqual(msgs[1]["text"], "two")
        self.assertEqual(smsc.stats()["dropped"], 1)

        # and on demand
        smsc.drop()
        with self.assertRaises(ConnectionClosed):
            c2.read_pdu(timeout=3)

    def test_malformed_traffic(self):
        smsc = self.smsc()
        c = self.client(smsc, bind=None)
        c.send_raw(struct.pack(">I", 5) + b"\x00" * 12)  # command_length below 16
        nack = c.read_pdu(timeout=3)
        self.assertEqual((nack.command_id, nack.status), (GENERIC_NACK, ESME_RINVCMDLEN))
        with self.assertRaises(ConnectionClosed):
            c.read_pdu(timeout=3)

        c = self.client(smsc)
        pdu = c.request(0x000000FF)  # unknown command id
        self.assertEqual(pdu.command_id, GENERIC_NACK)
        self.assertEqual(c.bind(), 0x05)  # ESME_RALYBND
        # a TLV announcing an int32 with one octet: the package's parser throws
        c.send_pdu(ENQUIRE_LINK, b"\x00\x17\x00\x01\x07")
        nack = c.read_pdu(timeout=3)
        self.assertEqual((nack.command_id, nack.status), (GENERIC_NACK, ESME_RINVCMDLEN))
        with self.assertRaises(ConnectionClosed):
            c.read_pdu(timeout=3)
        c3 = self.client(smsc)  # still serving
        self.assertEqual(c3.enquire_link(), ESME_ROK)
        self.assertTrue(smsc.running())
        self.assertEqual(smsc.stats()["malformed"], 2)


if __name__ == "__main__":
    unittest.main()
