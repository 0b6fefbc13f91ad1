#include "smpp/codec/decoder.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"
#include "smpp/codec/status.hpp"

namespace passerelle::smpp {
namespace {

using test::hex;

const char* kAll[] = {test::kBindTrx,          test::kBindTrxResp,
                      test::kEnquireLink,      test::kEnquireLinkResp,
                      test::kUnbind,           test::kUnbindResp,
                      test::kGenericNack,      test::kSubmitSm,
                      test::kSubmitSmResp,     test::kSubmitSmRespThrottled,
                      test::kDeliverSmReceipt, test::kDeliverSmResp};

std::vector<std::uint8_t> capture() {
  std::vector<std::uint8_t> all;
  for (auto* h : kAll) {
    auto b = hex(h);
    all.insert(all.end(), b.begin(), b.end());
  }
  return all;
}

// Feeds `chunks` in order; returns every outcome except NeedMore.
std::vector<DecodeOutcome> feed(PduDecoder& d,
                                const std::vector<std::span<const std::uint8_t>>& chunks) {
  std::vector<DecodeOutcome> out;
  for (auto in : chunks) {
    while (!in.empty()) {
      auto step = d.decode(in);
      EXPECT_LE(step.consumed, in.size());
      in = in.subspan(step.consumed);
      if (!std::holds_alternative<NeedMore>(step.outcome)) out.push_back(step.outcome);
      if (auto* e = std::get_if<DecodeError>(&step.outcome); e && e->fatal()) return out;
    }
  }
  return out;
}

TEST(SmppDecoder, WholeCaptureInOneGo) {
  auto all = capture();
  PduDecoder d;
  auto out = feed(d, {all});
  ASSERT_EQ(out.size(), std::size(kAll));
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(std::holds_alternative<Pdu>(out[i])) << i;
    EXPECT_EQ(std::get<Pdu>(out[i]), std::get<Pdu>(decode_pdu(hex(kAll[i]))));
  }
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(SmppDecoder, SplitAtEveryOffsetGivesSamePdus) {
  auto all = capture();
  PduDecoder ref;
  auto expected = feed(ref, {all});
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    PduDecoder d;
    std::span<const std::uint8_t> s(all);
    auto got = feed(d, {s.first(cut), s.subspan(cut)});
    ASSERT_EQ(got, expected) << "cut at " << cut;
  }
  // And byte by byte.
  PduDecoder d;
  std::vector<std::span<const std::uint8_t>> bytes;
  for (std::size_t i = 0; i < all.size(); ++i) bytes.push_back(std::span(all).subspan(i, 1));
  EXPECT_EQ(feed(d, bytes), expected);
}

TEST(SmppDecoder, UnknownCommandKeepsSequenceAndStreamGoesOn) {
  // query_sm (0x03) is not handled: typed error with the sequence for a generic_nack.
  auto bytes = hex("00000014 00000003 00000000 0000002A DEADBEEF");
  auto next = hex(test::kEnquireLink);
  bytes.insert(bytes.end(), next.begin(), next.end());
  PduDecoder d;
  auto out = feed(d, {bytes});
  ASSERT_EQ(out.size(), 2u);
  auto& e = std::get<DecodeError>(out[0]);
  EXPECT_EQ(e.code, DecodeErrc::unknown_command);
  EXPECT_FALSE(e.fatal());
  EXPECT_EQ(e.sequence_number, 42u);
  EXPECT_EQ(e.status, status::invalid_cmd_id);
  EXPECT_TRUE(std::holds_alternative<Pdu>(out[1]));
}

TEST(SmppDecoder, LengthLiesAreFatalAndBounded) {
  for (const char* h :
       {"0000000F 00000015 00000000 00000001", "00000000 00000015 00000000 00000001",
        "FFFFFFFF 00000004 00000000 00000001", "00010001 00000004 00000000 00000001"}) {
    PduDecoder d;
    auto bytes = hex(h);
    bytes.resize(bytes.size() + 100, 0);
    auto out = feed(d, {bytes});
    ASSERT_EQ(out.size(), 1u) << h;
    auto& e = std::get<DecodeError>(out[0]);
    EXPECT_EQ(e.code, DecodeErrc::bad_length);
    EXPECT_TRUE(e.fatal());
    EXPECT_LE(d.buffered(), kHeaderSize);
    // Sticky until reset.
    auto again = d.decode(bytes);
    EXPECT_TRUE(std::holds_alternative<DecodeError>(again.outcome));
    d.reset();
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(SmppDecoder, ConfigurableMaximum) {
  PduDecoder d(32);
  auto out = feed(d, {hex(test::kSubmitSm)});  // 60 octets > 32
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<DecodeError>(out[0]).code, DecodeErrc::bad_length);
}

// Cuts the body of a valid PDU at every length and patches command_length: the result is a
// typed non-fatal error (or a valid PDU when the cut falls on a TLV boundary), never a crash.
TEST(SmppDecoder, EveryTruncationGivesTypedError) {
  for (auto* h : kAll) {
    auto full = hex(h);
    for (std::size_t n = kHeaderSize; n < full.size(); ++n) {
      std::vector<std::uint8_t> t(full.begin(), full.begin() + n);
      t[0] = t[1] = 0;
      t[2] = static_cast<std::uint8_t>(n >> 8);
      t[3] = static_cast<std::uint8_t>(n);
      auto r = decode_pdu(t);
      if (auto* e = std::get_if<DecodeError>(&r)) {
        EXPECT_FALSE(e->fatal());
        EXPECT_EQ(e->sequence_number, std::get<Pdu>(decode_pdu(full)).sequence_number);
        EXPECT_NE(e->status, 0u);
        EXPECT_FALSE(e->message.empty());
      }
      // Unpatched: command_length disagrees with the bytes.
      std::vector<std::uint8_t> u(full.begin(), full.begin() + n);
      auto ru = decode_pdu(u);
      ASSERT_TRUE(std::holds_alternative<DecodeError>(ru));
      EXPECT_EQ(std::get<DecodeError>(ru).code, DecodeErrc::bad_length);
    }
  }
}

TEST(SmppDecoder, TruncatedCStringAndTlvLies) {
  // bind_transceiver whose address_range has no NUL.
  auto r = decode_pdu(hex("00000013 00000009 00000000 00000004 41 42 43"));
  EXPECT_EQ(std::get<DecodeError>(r).code, DecodeErrc::truncated);
  EXPECT_EQ(std::get<DecodeError>(r).status, status::invalid_cmd_len);
  EXPECT_EQ(std::get<DecodeError>(r).sequence_number, 4u);
  // bind_resp with a TLV claiming 16 octets but carrying 1.
  r = decode_pdu(hex("00000017 80000009 00000000 00000001 4100 0210 0010 34"));
  EXPECT_EQ(std::get<DecodeError>(r).code, DecodeErrc::bad_tlv);
  EXPECT_EQ(std::get<DecodeError>(r).status, status::invalid_tlv_stream);
  // A TLV header cut short.
  r = decode_pdu(hex("00000015 80000009 00000000 00000001 4100 0210 00"));
  EXPECT_EQ(std::get<DecodeError>(r).code, DecodeErrc::bad_tlv);
  // sc_interface_version with length 2.
  r = decode_pdu(hex("00000018 80000009 00000000 00000001 4100 0210 0002 3434"));
  EXPECT_EQ(std::get<DecodeError>(r).code, DecodeErrc::bad_tlv_length);
  EXPECT_EQ(std::get<DecodeError>(r).status, status::invalid_param_len);
  // enquire_link with a body.
  r = decode_pdu(hex("00000011 00000015 00000000 00000001 00"));
  EXPECT_EQ(std::get<DecodeError>(r).code, DecodeErrc::trailing_bytes);
  // submit_sm whose sm_length runs past the PDU.
  auto sm = hex(test::kSubmitSm);
  sm[sm.size() - 6] = 0xFF;
  r = decode_pdu(sm);
  EXPECT_EQ(std::get<DecodeError>(r).code, DecodeErrc::truncated);
}

TEST(SmppDecoder, ReceiptedIdWithoutNulAccepted) {
  auto r = decode_pdu(hex("00000017 80000103 00000000 00000001 00 001E 0002 4142"));
  ASSERT_TRUE(std::holds_alternative<Pdu>(r));
  EXPECT_EQ(std::get<Pdu>(r).as<MessageIdRespBody>()->tlvs.receipted_message_id, "AB");
}

}  // namespace
}  // namespace passerelle::smpp
