#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/snac.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;

std::optional<Fault> fault(const Status& s) {
  return s.ok() ? std::nullopt : fault_of(s.error());
}
template <typename T>
std::optional<Fault> fault(const Result<T>& r) {
  return r.ok() ? std::nullopt : fault_of(r.error());
}

TEST(OscarSnac, HeaderRoundTrip) {
  SnacHeader h{0x0004, 0x0006, 0, 0x01020304};
  Bytes out;
  ASSERT_TRUE(append_snac(out, h, hex("aabb")).ok());
  EXPECT_EQ(out, hex("0004 0006 0000 01020304 aabb"));
  auto v = parse_snac(out);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->header, h);
  EXPECT_TRUE(v->is(0x0004, 0x0006));
  EXPECT_EQ(Bytes(v->body.begin(), v->body.end()), hex("aabb"));
}

TEST(OscarSnac, PrefixBlockSeparated) {
  // Flag 0x8000: u16 length then TLVs (here a family version TLV 0x0001 = 4), then body.
  auto bytes = hex("0001 0003 8000 00000000 0006 0001 0002 0004  0001 0002");
  auto v = parse_snac(bytes);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->prefix.size(), 6u);
  auto tlvs = parse_tlv_chain(v->prefix);
  ASSERT_TRUE(tlvs.ok());
  EXPECT_EQ(tlvs->u16(0x0001), 4);
  EXPECT_EQ(Bytes(v->body.begin(), v->body.end()), hex("00010002"));
  Bytes again;
  ASSERT_TRUE(append_snac(again, v->header, v->body, v->prefix).ok());
  EXPECT_EQ(again, bytes);
}

TEST(OscarSnac, BadLengths) {
  for (std::size_t n = 0; n < kSnacHeaderSize; ++n) {
    Bytes b(n, 0);
    EXPECT_EQ(fault(parse_snac(b)), Fault::truncated) << n;
  }
  // Flag 0x8000 without its length, and with a length past the end.
  EXPECT_EQ(fault(parse_snac(hex("0001 0003 8000 00000000 00"))), Fault::truncated);
  EXPECT_EQ(fault(parse_snac(hex("0001 0003 8000 00000000 0010 0001"))),
            Fault::block_length_mismatch);
  // Prefix without the flag is an encoder misuse.
  Bytes out;
  EXPECT_FALSE(append_snac(out, SnacHeader{1, 2, 0, 0}, {}, hex("00")).ok());
  EXPECT_TRUE(out.empty());
}

TEST(OscarSnac, UnknownFamilyIsOpaque) {
  auto bytes = hex("7777 0042 0000 00000009 deadbeef");
  auto v = parse_snac(bytes);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->header.family, 0x7777);
  EXPECT_EQ(v->body.size(), 4u);
}

TEST(OscarSnac, FrameBuilders) {
  Bytes a, b;
  SnacHeader h{0x0001, 0x0006, 0, 3};
  ASSERT_TRUE(append_snac_frame(a, 10, h, {}).ok());
  EXPECT_EQ(a, hex("2a02000a000a 0001 0006 0000 00000003"));
  const auto at = begin_snac_frame(b, 10, h);
  ASSERT_TRUE(end_snac_frame(b, at).ok());
  EXPECT_EQ(a, b);
}

TEST(OscarTlv, ChainLookupsAndTypes) {
  auto bytes = hex("0001 0005 7573657231  0002 0002 1234  0003 0004 00000064  0004 0001 07");
  auto t = parse_tlv_chain(bytes);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 4u);
  EXPECT_EQ(t->string(1), "user1");
  EXPECT_EQ(t->u16(2), 0x1234);
  EXPECT_EQ(t->u32(3), 100u);
  EXPECT_EQ(t->u8(4), 7);
  EXPECT_EQ(t->u16(3), std::nullopt);  // wrong size for the type
  EXPECT_EQ(t->u32(9), std::nullopt);
  EXPECT_FALSE(t->has(9));
  Bytes again;
  ASSERT_TRUE(append_tlv_chain(again, to_owned(*t)).ok());
  EXPECT_EQ(again, bytes);
}

TEST(OscarTlv, Builders) {
  Bytes out;
  ASSERT_TRUE(append_tlv(out, 0x0001, std::string_view("ab")).ok());
  append_tlv_empty(out, 0x0003);
  append_tlv_u8(out, 0x004A, 1);
  append_tlv_u16(out, 0x0016, 0x0109);
  append_tlv_u32(out, 0x0014, 0x111);
  EXPECT_EQ(out, hex("0001 0002 6162 0003 0000 004a 0001 01 0016 0002 0109 0014 0004 00000111"));
  Bytes big(0x10000, 0);
  Bytes o2;
  EXPECT_EQ(fault(append_tlv(o2, 1, ByteView(big))), Fault::value_too_long);
  EXPECT_TRUE(o2.empty());
}

TEST(OscarTlv, CountedAndSizedBlocks) {
  std::vector<Tlv> tlvs{Tlv::of(1, "x"), Tlv{2, {}}};
  Bytes counted, sized;
  ASSERT_TRUE(append_tlv_block_counted(counted, tlvs).ok());
  ASSERT_TRUE(append_tlv_block_sized(sized, tlvs).ok());
  EXPECT_EQ(counted, hex("0002 0001 0001 78 0002 0000"));
  EXPECT_EQ(sized, hex("0009 0001 0001 78 0002 0000"));
  // Bytes after the block stay for the caller.
  counted.push_back(0xEE);
  sized.push_back(0xEE);
  ByteReader rc(counted), rs(sized);
  auto c = read_tlv_block_counted(rc);
  auto s = read_tlv_block_sized(rs);
  ASSERT_TRUE(c.ok() && s.ok());
  EXPECT_EQ(to_owned(*c), tlvs);
  EXPECT_EQ(to_owned(*s), tlvs);
  EXPECT_EQ(rc.remaining(), 1u);
  EXPECT_EQ(rs.remaining(), 1u);
}

TEST(OscarTlv, Malformed) {
  // Header cut short; value running past the end.
  EXPECT_EQ(fault(parse_tlv_chain(hex("0001 00"))), Fault::truncated);
  EXPECT_EQ(fault(parse_tlv_chain(hex("0001 0005 7573"))), Fault::tlv_overrun);
  // Counted block: count larger than the TLVs present.
  auto b1 = hex("0003 0001 0000");
  ByteReader r1b(b1);
  EXPECT_EQ(fault(read_tlv_block_counted(r1b)), Fault::truncated);
  // Sized block: length past the end; TLVs not filling it exactly.
  auto b2 = hex("0010 0001 0000");
  ByteReader r2(b2);
  EXPECT_EQ(fault(read_tlv_block_sized(r2)), Fault::block_length_mismatch);
  auto b3 = hex("0005 0001 0002 41");  // inner TLV says 2 bytes, block holds 1
  ByteReader r3(b3);
  EXPECT_EQ(fault(read_tlv_block_sized(r3)), Fault::block_length_mismatch);
  auto b4 = hex("0003 000100");  // 3 bytes: not even a TLV header
  ByteReader r4(b4);
  EXPECT_EQ(fault(read_tlv_block_sized(r4)), Fault::block_length_mismatch);
}

TEST(OscarTlv, NestedLengthLies) {
  // Outer TLV 0x0005 of 6 bytes; inside it, a TLV claims 8 bytes of value.
  auto bytes = hex("0005 0006 0001 0008 4142");
  auto outer = parse_tlv_chain(bytes);
  ASSERT_TRUE(outer.ok());  // the outer chain itself is sound
  auto inner = parse_nested_tlvs(outer->items[0]);
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(fault_of(inner.error()), Fault::tlv_overrun);
  EXPECT_NE(inner.error().message.find("0x0005"), std::string::npos);
  // A sound nesting.
  const auto good_bytes = hex("0005 0006 0001 0002 4142");  // views point into it
  auto good = parse_tlv_chain(good_bytes);
  auto in2 = parse_nested_tlvs(good->items[0]);
  ASSERT_TRUE(in2.ok());
  EXPECT_EQ(in2->string(1), "AB");
  // An outer TLV that lies about the chain is caught at the outer level.
  EXPECT_EQ(fault(parse_tlv_chain(hex("0005 0010 0001 0002 4142"))), Fault::tlv_overrun);
}

TEST(OscarTlv, Limits) {
  Bytes many;
  for (int i = 0; i < 10; ++i) append_tlv_empty(many, static_cast<std::uint16_t>(i));
  EXPECT_TRUE(parse_tlv_chain(many, 10).ok());
  auto r = parse_tlv_chain(many, 9);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fault_of(r.error()), Fault::too_many_items);
  EXPECT_EQ(r.error().code, Errc::limit_exceeded);
  // A counted block announcing more than the limit fails before reading any TLV.
  auto b = hex("ffff");
  ByteReader rd(b);
  EXPECT_EQ(fault(read_tlv_block_counted(rd)), Fault::too_many_items);
}

TEST(OscarTlv, InPlaceBuilderRollsBack) {
  Bytes out{0x99};
  const auto at = begin_tlv(out, 0x0002);
  out.insert(out.end(), 0x10000, 0);
  EXPECT_FALSE(end_tlv(out, at).ok());
  EXPECT_EQ(out, Bytes{0x99});
  const auto at2 = begin_tlv_block_counted(out);
  EXPECT_FALSE(end_tlv_block_counted(out, at2, 0x10000).ok());
  EXPECT_EQ(out, Bytes{0x99});
}

}  // namespace
}  // namespace passerelle::oscar
