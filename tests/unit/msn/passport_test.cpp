#include "msn/codec/passport.hpp"

#include <gtest/gtest.h>

#include "msn/codec/challenge.hpp"

namespace passerelle::msn {
namespace {

TEST(MsnPassport, ChallengeFromUsr) {
  Command c{"USR", 3, {"TWN", "S", "lc=1033,id=507,tw=40"}, std::nullopt};
  EXPECT_EQ(parse_twn_challenge(c).value(), "lc=1033,id=507,tw=40");
  EXPECT_FALSE(parse_twn_challenge(Command{"USR", 3, {"TWN", "I", "x"}, std::nullopt}).ok());
  EXPECT_FALSE(
      parse_twn_challenge(Command{"USR", 3, {"OK", "a@b.c", "1", "0"}, std::nullopt}).ok());
}

TEST(MsnPassport, AuthorizationEscapesSeparatorsInCredentials) {
  const auto h = passport_authorization("a@b.c", "p,w=d 1%", "lc=1033");
  EXPECT_EQ(h,
            "Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,"
            "sign-in=a%40b.c,pwd=p%2Cw%3Dd%201%25,lc=1033");
}

TEST(MsnPassport, Success) {
  auto o = parse_passport_outcome(
      "Passport1.4 da-status=success,tname=MSPAuth,tname=MSPProf,tname=MSPSec,"
      "from-PP='t=53*1hAu8ADuD3TEwdXoOMi08sD*2!cMrntTwVMTjoB3p6stWTqzbkKZPVQzA5NOt19SLI60PY!b8K4Y"
      "hC!Ooo5ug$$&p=5eKBBC!yBH6ex5mftp!a9DrSb0B3hU8aqAWpaPaoZ',ru=http://messenger.msn.com");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().status, PassportOutcome::Status::success);
  EXPECT_EQ(o.value().ticket.substr(0, 6), "t=53*1");
  EXPECT_EQ(o.value().ticket.back(), 'Z');
}

TEST(MsnPassport, FailureAndRedirect) {
  auto o = parse_passport_outcome(
      "Passport1.4 da-status=failed,srealm=Passport.NET,ts=-3,prompt,cburl=http://x/y.gif,"
      "cbtxt=Type%20your%20e-mail%20address%20and%20password%20correctly.");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().status, PassportOutcome::Status::failed);
  EXPECT_EQ(o.value().reason, "Type your e-mail address and password correctly.");
  o = parse_passport_outcome("Passport1.4 da-status=redir");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().status, PassportOutcome::Status::redirect);
  EXPECT_FALSE(parse_passport_outcome("Basic realm=x").ok());
  EXPECT_FALSE(parse_passport_outcome("Passport1.4 da-status=success").ok());  // no ticket
  EXPECT_FALSE(parse_passport_outcome("Passport1.4 from-PP='t=1").ok());       // unclosed
  EXPECT_FALSE(parse_passport_outcome("Passport1.4 da-status=weird").ok());
}

TEST(MsnPassport, DaLogin) {
  auto u = parse_dalogin(
      "DARealm=Passport.Net,DALogin=login.passport.com/login2.srf,DAReg=http://x/reg.srf,"
      "Properties=https://x/p.srf,GeneralRedir=http://nexusrdr.passport.com/redir.asp,"
      "ConfigVersion=11");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value(), "https://login.passport.com/login2.srf");
  EXPECT_EQ(parse_dalogin("DALogin=http://127.0.0.1/login").value(), "http://127.0.0.1/login");
  EXPECT_FALSE(parse_dalogin("DARealm=Passport.Net").ok());
}

// Published answers for the MSNP11 algorithm with the MSN Messenger 7.0 product key
// (MSNPiki "MSNP11:Challenges" example, and the ECF MSN provider's tests).
TEST(MsnChallenge, Msnp11PublishedVectors) {
  EXPECT_EQ(chl_response_msnp11("22210219642164014968").value(),
            "85ecb0db8f32113df79ce0892b9a102c");
  EXPECT_EQ(chl_response_msnp11("36819795137093047918").value(),
            "e7ad3cb09d3e9e4e7c720175984809e9");
  EXPECT_EQ(chl_response_msnp11("21948129323261853323").value(),
            "59bcf63ed21f44906c3d3e121ddbed65");
  EXPECT_EQ(chl_response_msnp11("41525959199453244913").value(),
            "dcb8ff529e4dd12cc43389851128d2db");
}

TEST(MsnChallenge, Msnp8IsPlainMd5) {
  // md5("22210219642164014968" "Q1P7W2E4J9R8U3S5"), computed independently.
  EXPECT_EQ(chl_response_msnp8("22210219642164014968").value(), "eedf627f65e76d031255a605f5841204");
}

TEST(MsnChallenge, QryCommand) {
  Command chl{"CHL", 0, {"22210219642164014968"}, std::nullopt};
  auto q = answer_challenge(chl, 9, 12);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(encode(q.value()).value(),
            "QRY 9 PROD0090YUAUV{2B 32\r\n85ecb0db8f32113df79ce0892b9a102c");
  q = answer_challenge(chl, 9, 8);
  EXPECT_EQ(encode(q.value()).value(),
            "QRY 9 msmsgs@msnmsgr.com 32\r\needf627f65e76d031255a605f5841204");
}

TEST(MsnChallenge, RefusesOddChallenges) {
  EXPECT_FALSE(chl_response_msnp11("").ok());
  EXPECT_FALSE(chl_response_msnp11(std::string(300, '1')).ok());
  EXPECT_FALSE(chl_response_msnp11("12 34").ok());
  EXPECT_FALSE(chl_response_msnp8("\xff").ok());
  EXPECT_FALSE(answer_challenge(Command{"CHL", 0, {}, std::nullopt}, 1, 12).ok());
  // Lengths that need no padding, and long ones, still hash.
  EXPECT_TRUE(chl_response_msnp11("12345678").ok());  // 8 + 16 bytes: a multiple of 8
  EXPECT_EQ(chl_response_msnp11(std::string(256, '9')).value().size(), 32u);
}

}  // namespace
}  // namespace passerelle::msn
