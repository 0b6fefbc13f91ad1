// Frames printed in the public OSCAR/ICQ protocol documentation (Alexander Shutko's "OSCAR
// ICQ v7/v8/v9 protocol documentation", the iserverd pages: "Example SNAC dump with flap
// header" of snac_04_06_ch1, snac_04_05 and snac_15_03_0041). Each goes through the stream
// decoder split at every offset, is decoded into fields and encoded back byte for byte.
#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/families.hpp"
#include "oscar/codec/flap.hpp"
#include "oscar/codec/icbm.hpp"
#include "oscar/codec/icq.hpp"
#include "oscar/codec/snac.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;
using test::to_hex;

// CLI_SEND_ICBM_CH1: to "1000000", "test channel 1 message", charset 0, subset 0xFFFF,
// store if offline.
const char* kSendCh1 =
    "2a 02 23 6c 00 47 00 04  00 06 00 00 00 01 00 06"
    "67 c3 15 01 3d 3a 00 00  00 01 07 31 30 30 30 30"
    "30 30 00 02 00 23 05 01  00 01 01 01 01 00 1a 00"
    "00 ff ff 74 65 73 74 20  63 68 61 6e 6e 65 6c 20"
    "31 20 6d 65 73 73 61 67  65 00 06 00 00";

// SRV_ICBM_PARAMS (04,05).
const char* kIcbmParams =
    "2A 02 38 C2 00 1A 00 04  00 05 00 00 00 00 00 04"
    "00 02 00 00 00 03 02 00  03 E7 03 E7 00 00 03 E8";

// SRV_OFFLINE_MESSAGE (15,03)/0041: from UIN 1001 to 6218895, 2002-12-12 06:29 GMT.
const char* kOffline =
    "2A 02 CB 57 00 82 00 15  00 03 00 01 00 01 00 02"
    "00 01 00 74 72 00 8F E4  5E 00 41 00 02 00 E9 03"
    "00 00 D2 07 0C 0C 06 1D  01 00 5C 00 74 65 73 74"
    "20 70 6C 61 69 6E 74 65  78 74 20 6F 66 66 6C 69"
    "6E 65 20 6D 65 73 73 61  67 65 20 66 72 6F 6D 20"
    "0D 0A 75 69 6E 31 30 30  31 20 74 6F 20 75 69 6E"
    "20 36 32 31 38 38 39 35  0D 0A 74 6F 64 61 79 3A"
    "20 31 32 2E 31 32 2E 32  30 30 32 20 30 36 3A 32"
    "38 20 47 4D 54 0D 0A 00";

FlapFrame one_frame(const char* h) {
  const auto bytes = hex(h);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    FlapDecoder d;
    std::vector<FlapFrame> got;
    for (ByteView in : {ByteView(bytes).first(cut), ByteView(bytes).subspan(cut)}) {
      while (!in.empty()) {
        auto step = d.decode(in);
        in = in.subspan(step.consumed);
        if (auto* f = std::get_if<FlapFrame>(&step.outcome)) got.push_back(*f);
        EXPECT_FALSE(std::holds_alternative<Error>(step.outcome));
      }
    }
    EXPECT_EQ(got.size(), 1u) << cut;
  }
  auto f = decode_flap(bytes);
  EXPECT_TRUE(f.ok());
  return f.ok() ? *f : FlapFrame{};
}

TEST(OscarDocVectors, SendIcbmChannel1) {
  const auto frame = one_frame(kSendCh1);
  EXPECT_EQ(frame.sequence, 0x236c);
  auto snac = parse_snac(frame.payload);
  ASSERT_TRUE(snac.ok());
  EXPECT_TRUE(snac->is(family::icbm, icbm::channel_msg_to_host));
  EXPECT_EQ(snac->header.request_id, 0x00010006u);
  auto m = parse_outgoing_im(snac->body);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(to_hex(m->cookie), "67c315013d3a0000");
  EXPECT_EQ(m->screen_name, "1000000");
  EXPECT_TRUE(m->store_offline);
  EXPECT_FALSE(m->request_host_ack);
  ASSERT_EQ(m->fragments.size(), 2u);
  EXPECT_EQ(m->fragments[0].data, Bytes{0x01});
  auto t = fragment_text(m->fragments[1]);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->charset, charset::ascii);
  EXPECT_EQ(*message_text(m->fragments), "test channel 1 message");

  Bytes out;
  const auto at = begin_snac_frame(out, frame.sequence, snac->header);
  ASSERT_TRUE(append_outgoing_im(out, *m).ok());
  ASSERT_TRUE(end_snac_frame(out, at).ok());
  EXPECT_EQ(to_hex(out), to_hex(hex(kSendCh1)));
}

TEST(OscarDocVectors, IcbmParams) {
  const auto frame = one_frame(kIcbmParams);
  auto snac = parse_snac(frame.payload);
  ASSERT_TRUE(snac.ok());
  EXPECT_TRUE(snac->is(family::icbm, icbm::parameter_reply));
  auto p = parse_icbm_params(snac->body);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->channel, 2);
  EXPECT_EQ(p->flags, 3u);
  EXPECT_EQ(p->max_snac_size, 512);
  EXPECT_EQ(p->max_sender_warning, 999);
  EXPECT_EQ(p->min_interval_ms, 0);
  Bytes body;
  append_icbm_params(body, *p);
  EXPECT_EQ(to_hex(body), to_hex(snac->body));
}

TEST(OscarDocVectors, IcqOfflineMessage) {
  const auto frame = one_frame(kOffline);
  auto snac = parse_snac(frame.payload);
  ASSERT_TRUE(snac.ok());
  EXPECT_TRUE(snac->is(family::icq, icq::db_reply));
  EXPECT_EQ(snac->header.flags, snac_flag::more_follows);
  auto meta = parse_icq_meta(snac->body);
  ASSERT_TRUE(meta.ok()) << meta.error().message;
  EXPECT_EQ(meta->uin, 6218895u);
  EXPECT_EQ(meta->type, icq_meta::offline_message);
  EXPECT_EQ(meta->sequence, 2);
  auto off = parse_icq_offline_message(meta->data);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->sender, 1001u);
  EXPECT_EQ(off->year, 2002);
  EXPECT_EQ(off->month, 12);
  EXPECT_EQ(off->day, 12);
  EXPECT_EQ(off->hour, 6);
  EXPECT_EQ(off->minute, 29);  // the text itself says 06:28
  EXPECT_EQ(off->type, icq_msg_type::plain);
  EXPECT_EQ(icq_text_utf8(off->text),
            "test plaintext offline message from \r\nuin1001 to uin 6218895\r\ntoday: "
            "12.12.2002 06:28 GMT\r\n");

  IcqMeta rebuilt = *meta;
  rebuilt.data.clear();
  ASSERT_TRUE(append_icq_offline_message(rebuilt.data, *off).ok());
  Bytes body;
  ASSERT_TRUE(append_icq_meta(body, rebuilt).ok());
  Bytes out;
  ASSERT_TRUE(append_snac_frame(out, frame.sequence, snac->header, body).ok());
  EXPECT_EQ(to_hex(out), to_hex(hex(kOffline)));
}

}  // namespace
}  // namespace passerelle::oscar
