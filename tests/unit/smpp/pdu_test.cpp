#include "smpp/codec/pdu.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"
#include "smpp/codec/decoder.hpp"
#include "smpp/codec/status.hpp"

namespace passerelle::smpp {
namespace {

using test::hex;

Pdu decode_ok(const char* h) {
  auto bytes = hex(h);
  auto r = decode_pdu(bytes);
  if (auto* e = std::get_if<DecodeError>(&r)) ADD_FAILURE() << e->message;
  return std::get_if<Pdu>(&r) ? std::get<Pdu>(r) : Pdu{};
}

std::vector<std::uint8_t> enc(const Pdu& p) {
  std::vector<std::uint8_t> out;
  EXPECT_TRUE(encode(p, out).ok());
  return out;
}

TEST(SmppPdu, BindTransceiverVector) {
  BindBody b{"SMPP3TEST", "secret08", "SUBMIT1", 0x34, 1, 1, ""};
  const Pdu p = make_pdu(CommandId::bind_transceiver, 1, b);
  EXPECT_EQ(enc(p), hex(test::kBindTrx));
  EXPECT_EQ(decode_ok(test::kBindTrx), p);
}

TEST(SmppPdu, BindRespWithInterfaceVersion) {
  Pdu p = decode_ok(test::kBindTrxResp);
  EXPECT_EQ(p.id(), CommandId::bind_transceiver_resp);
  ASSERT_NE(p.as<BindRespBody>(), nullptr);
  EXPECT_EQ(p.as<BindRespBody>()->system_id, "SMSC");
  EXPECT_EQ(p.as<BindRespBody>()->tlvs.sc_interface_version, 0x34);
  EXPECT_EQ(enc(p), hex(test::kBindTrxResp));
}

TEST(SmppPdu, BindRespErrorWithoutBody) {
  Pdu p = decode_ok("00000010 80000009 0000000D 00000001");
  EXPECT_EQ(p.command_status, status::bind_failed);
  EXPECT_EQ(describe_status(p.command_status), "ESME_RBINDFAIL (0x0D)");
}

TEST(SmppPdu, EmptyBodies) {
  EXPECT_EQ(enc(make_pdu(CommandId::enquire_link, 7)), hex(test::kEnquireLink));
  EXPECT_EQ(enc(make_response(make_pdu(CommandId::enquire_link, 7), 0)),
            hex(test::kEnquireLinkResp));
  EXPECT_EQ(enc(make_pdu(CommandId::unbind, 8)), hex(test::kUnbind));
  EXPECT_EQ(enc(make_response(make_pdu(CommandId::unbind, 8), 0)), hex(test::kUnbindResp));
  EXPECT_EQ(enc(make_generic_nack(9, status::invalid_cmd_id)), hex(test::kGenericNack));
  for (auto* h : {test::kEnquireLink, test::kEnquireLinkResp, test::kUnbind, test::kUnbindResp,
                  test::kGenericNack}) {
    EXPECT_EQ(enc(decode_ok(h)), hex(h));
  }
}

ShortMessageBody hello_submit() {
  ShortMessageBody b;
  b.source_addr_ton = 1;
  b.source_addr_npi = 1;
  b.source_addr = "33700000001";
  b.dest_addr_ton = 1;
  b.dest_addr_npi = 1;
  b.destination_addr = "33612345678";
  b.registered_delivery = 1;
  b.short_message = "hello";
  return b;
}

TEST(SmppPdu, SubmitSmVector) {
  const Pdu p = make_pdu(CommandId::submit_sm, 2, hello_submit());
  EXPECT_EQ(enc(p), hex(test::kSubmitSm));
  EXPECT_EQ(decode_ok(test::kSubmitSm), p);
}

TEST(SmppPdu, SubmitSmRespVectors) {
  Pdu ok = decode_ok(test::kSubmitSmResp);
  EXPECT_EQ(ok.as<MessageIdRespBody>()->message_id, "abc123");
  EXPECT_EQ(enc(make_response(make_pdu(CommandId::submit_sm, 2, hello_submit()), 0, "abc123")),
            hex(test::kSubmitSmResp));
  Pdu thr = decode_ok(test::kSubmitSmRespThrottled);
  EXPECT_EQ(thr.command_status, status::throttled);
  EXPECT_TRUE(is_throttling(thr.command_status));
  EXPECT_TRUE(is_retryable(thr.command_status));
  EXPECT_EQ(thr.as<MessageIdRespBody>()->message_id, "");
}

TEST(SmppPdu, DeliverSmReceiptVector) {
  Pdu p = decode_ok(test::kDeliverSmReceipt);
  EXPECT_EQ(p.id(), CommandId::deliver_sm);
  const auto* b = p.as<ShortMessageBody>();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->esm_class, 0x04);
  EXPECT_EQ(b->source_addr, "33612345678");
  EXPECT_EQ(b->short_message, "id:abc123 stat:DELIVRD");
  EXPECT_EQ(b->tlvs.receipted_message_id, "abc123");
  EXPECT_EQ(b->tlvs.message_state, 2);
  EXPECT_EQ(enc(p), hex(test::kDeliverSmReceipt));
  EXPECT_EQ(enc(make_response(p, 0)), hex(test::kDeliverSmResp));
}

TEST(SmppPdu, AllTlvsRoundTripAndUnknownPreserved) {
  ShortMessageBody b = hello_submit();
  b.tlvs.sar_msg_ref_num = 0x1234;
  b.tlvs.sar_total_segments = 3;
  b.tlvs.sar_segment_seqnum = 2;
  b.tlvs.message_payload = std::string("\0payload\xff", 9);
  b.tlvs.receipted_message_id = "ff00";
  b.tlvs.message_state = 5;
  b.tlvs.network_error_code = NetworkErrorCode{3, 0x0102};
  b.tlvs.user_message_reference = 42;
  b.tlvs.other.push_back(Tlv{0x1401, "vendor"});
  b.tlvs.other.push_back(Tlv{0x1402, ""});
  const Pdu p = make_pdu(CommandId::deliver_sm, 77, b);
  auto bytes = enc(p);
  auto back = decode_pdu(bytes);
  ASSERT_TRUE(std::holds_alternative<Pdu>(back));
  EXPECT_EQ(std::get<Pdu>(back), p);
}

TEST(SmppPdu, DataSmRoundTrip) {
  DataSmBody d;
  d.source_addr = "123";
  d.destination_addr = "456";
  d.esm_class = 0x40;
  d.data_coding = 8;
  d.tlvs.message_payload = "xyz";
  const Pdu p = make_pdu(CommandId::data_sm, 3, d);
  auto bytes = enc(p);
  // data_sm has no short_message: 16 header + 1+2+4+2+4+3 + TLV 4+3.
  EXPECT_EQ(bytes.size(), 16u + 16 + 7);
  EXPECT_EQ(std::get<Pdu>(decode_pdu(bytes)), p);
  Pdu r = make_response(p, 0, "m1");
  r.as<MessageIdRespBody>()->tlvs.other.push_back(Tlv{0x0420, "\x01"});
  auto rb = enc(r);
  EXPECT_EQ(std::get<Pdu>(decode_pdu(rb)), r);
}

TEST(SmppPdu, EncoderRejectsBadBodies) {
  std::vector<std::uint8_t> out{1, 2};
  ShortMessageBody b = hello_submit();
  b.source_addr = std::string("a\0b", 3);
  EXPECT_FALSE(encode(make_pdu(CommandId::submit_sm, 1, b), out).ok());
  b = hello_submit();
  b.short_message.assign(256, 'x');
  EXPECT_FALSE(encode(make_pdu(CommandId::submit_sm, 1, b), out).ok());
  EXPECT_FALSE(encode(make_pdu(CommandId::submit_sm, 1, EmptyBody{}), out).ok());
  EXPECT_EQ(out.size(), 2u);  // nothing appended on failure
}

TEST(SmppStatus, NamesAndRetry) {
  EXPECT_EQ(command_status_name(0x58), "ESME_RTHROTTLED");
  EXPECT_EQ(command_status_name(0x14), "ESME_RMSGQFUL");
  EXPECT_EQ(command_status_name(0x03), "ESME_RINVCMDID");
  EXPECT_EQ(command_status_name(0x00), "ESME_ROK");
  EXPECT_EQ(describe_status(0x400), "unknown status (0x0400)");
  EXPECT_TRUE(is_retryable(status::msg_queue_full));
  EXPECT_TRUE(is_retryable(status::system_error));
  EXPECT_FALSE(is_retryable(status::invalid_dst_addr));
  EXPECT_FALSE(is_throttling(status::system_error));
}

}  // namespace
}  // namespace passerelle::smpp
