#include "oscar/codec/login.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/bucp.hpp"
#include "oscar/codec/families.hpp"
#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;
using test::to_hex;

TEST(OscarBucp, Md5KnownAnswer) {
  // RFC 1321 appendix A.5 test suite.
  EXPECT_EQ(to_hex(*md5(as_bytes(""))), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(to_hex(*md5(as_bytes("abc"))), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(OscarBucp, StrongIsWeakOverMd5OfPassword) {
  auto inner = md5(as_bytes("secret"));
  std::string inner_s(inner->begin(), inner->end());
  EXPECT_EQ(*bucp_strong_hash("key", "secret"), *bucp_weak_hash("key", inner_s));
}

TEST(OscarBucp, RoastTable) {
  EXPECT_TRUE(roast_password("").empty());
  // Beyond 16 characters the table repeats.
  auto r = roast_password(std::string(17, '\0'));
  EXPECT_EQ(r[0], 0xF3);
  EXPECT_EQ(r[15], 0x7C);
  EXPECT_EQ(r[16], 0xF3);
}

TEST(OscarLogin, ChallengeAndKey) {
  Bytes b;
  ASSERT_TRUE(append_challenge_request(b, "user1").ok());
  EXPECT_EQ(to_hex(b), "000100057573657231");
  EXPECT_EQ(*parse_challenge_response(hex("000a 617574686b6579343536")), "authkey456");
  EXPECT_EQ(fault_of(parse_challenge_response(hex("000a 6175")).error()), Fault::truncated);
}

TEST(OscarLogin, LoginRequestCarriesHashAndFlag) {
  LoginRequest req;
  req.screen_name = "user1";
  req.password_hash = *bucp_strong_hash("authkey456", "password123");
  Bytes b;
  ASSERT_TRUE(append_login_request(b, req).ok());
  auto tlvs = parse_tlv_chain(b);
  ASSERT_TRUE(tlvs.ok());
  EXPECT_EQ(tlvs->string(login_tlv::screen_name), "user1");
  EXPECT_EQ(to_hex(*tlvs->bytes(login_tlv::password_hash)), "b90791cccb5c5771bdcbc93982f79484");
  EXPECT_TRUE(tlvs->has(login_tlv::strong_hash));
  EXPECT_EQ(tlvs->u16(login_tlv::client_id), 0x0109);
  EXPECT_EQ(tlvs->string(login_tlv::language), "en");
  req.strong_hash = false;
  Bytes weak;
  ASSERT_TRUE(append_login_request(weak, req).ok());
  EXPECT_FALSE(parse_tlv_chain(weak)->has(login_tlv::strong_hash));
}

TEST(OscarLogin, AuthReplies) {
  auto ok = parse_auth_reply(
      hex("0001 0005 7573657231 0005 000e 3132372e302e302e313a35313930 0006 0004 c00c1e00"));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->success());
  EXPECT_EQ(ok->bos_address, "127.0.0.1:5190");
  EXPECT_EQ(*ok->cookie, hex("c00c1e00"));

  auto bad = parse_auth_reply(hex("0001 0005 7573657231 0008 0002 0005"));
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->success());
  auto e = bad->failure();
  EXPECT_EQ(e.protocol_status, 5);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.code, Errc::not_allowed);
  EXPECT_NE(e.message.find("incorrect screen name or password"), std::string::npos);

  auto rate = parse_auth_reply(hex("0008 0002 0018"))->failure();
  EXPECT_TRUE(rate.retryable);
  EXPECT_EQ(rate.code, Errc::unavailable);

  auto kicked = parse_auth_reply(hex("0009 0002 0001"))->failure();
  EXPECT_FALSE(kicked.retryable);
  EXPECT_NE(kicked.message.find("another location"), std::string::npos);

  EXPECT_FALSE(parse_auth_reply(hex("0008 0005 00")).ok());
}

TEST(OscarLogin, HelloAndIcqLogin) {
  Bytes h;
  ASSERT_TRUE(append_hello(h, hex("c00c1e")).ok());
  EXPECT_EQ(to_hex(h),
            "00000001"
            "00060003c00c1e");
  auto parsed = parse_hello(h);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->version, 1u);
  EXPECT_EQ(to_hex(*parsed->tlvs.bytes(login_tlv::cookie)), "c00c1e");
  EXPECT_FALSE(parse_hello(hex("000000")).ok());

  Bytes icq;
  ASSERT_TRUE(append_icq_login(icq, "123456", "password", ClientIdent{}).ok());
  auto p = parse_hello(icq);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tlvs.string(login_tlv::screen_name), "123456");
  EXPECT_EQ(to_hex(*p->tlvs.bytes(login_tlv::roasted_password)), "8347f2b74ee9a9f6");
}

TEST(OscarFamilies, Reasons) {
  EXPECT_STREQ(login_error_reason(login_error::incorrect_name_or_password),
               "incorrect screen name or password");
  EXPECT_STREQ(login_error_reason(0x0018), "connecting too often; try again in a few minutes");
  EXPECT_STREQ(login_error_reason(0x7777), "login refused (unknown error code)");
  EXPECT_STREQ(disconnect_reason(disconnect::other_login), "signed on from another location");
  EXPECT_STREQ(snac_error_reason(snac_error::recipient_offline), "recipient is not signed on");
  EXPECT_STREQ(family_name(family::icbm), "ICBM");
  EXPECT_STREQ(family_name(0x4242), "unknown");
  auto e = snac_failure(family::icbm, snac_error::client_rate_limited);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.protocol_status, 3);
  EXPECT_EQ(e.message, "OSCAR ICBM: sending too fast (rate limit)");
  EXPECT_EQ(snac_failure(family::icbm, snac_error::in_local_permit_deny).code, Errc::not_allowed);
  // A SNAC error code never reads as a codec fault.
  EXPECT_FALSE(fault_of(e).has_value());
}

}  // namespace
}  // namespace passerelle::oscar
