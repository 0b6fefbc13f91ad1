// Single-value helpers: suggestions, number syntax, listen addresses, ${ENV} expansion.

#include "config/values.hpp"

#include <gtest/gtest.h>

#include <map>

#include "config/suggest.hpp"

namespace passerelle::config {
namespace {

TEST(Suggest, EditDistanceCountsAdjacentSwapAsOne) {
  EXPECT_EQ(edit_distance("port", "port"), 0u);
  EXPECT_EQ(edit_distance("prot", "port"), 1u);
  EXPECT_EQ(edit_distance("throughtput", "throughput"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Suggest, NearestPicksClosePlausibleTypoOnly) {
  const std::vector<std::string> keys = {"window", "throughput", "port", "prefixes"};
  EXPECT_EQ(nearest("throughtput", keys), "throughput");
  EXPECT_EQ(nearest("windwo", keys), "window");
  EXPECT_EQ(nearest("prefix", keys), "prefixes");
  EXPECT_EQ(nearest("colour", keys), std::nullopt);
  EXPECT_EQ(nearest("x", keys), std::nullopt);
  EXPECT_EQ(did_you_mean("prot", keys), ", did you mean 'port'?");
  EXPECT_EQ(did_you_mean("zzzzzz", keys), "");
}

TEST(Suggest, FallsBackToAWordThatExtendsTheOther) {
  EXPECT_EQ(nearest("token", {"token_file", "tls_cert_file"}), "token_file");
  EXPECT_EQ(nearest("warning", {"trace", "warn", "error"}), "warn");
  EXPECT_EQ(nearest("wa", {"warn"}), std::nullopt);  // too short to mean anything
}

TEST(Values, E164IsPlusThen8To15DigitsNotStartingWithZero) {
  EXPECT_TRUE(is_e164("+33612345678"));
  EXPECT_TRUE(is_e164("+12345678"));         // 8 digits
  EXPECT_TRUE(is_e164("+123456789012345"));  // 15 digits
  EXPECT_FALSE(is_e164("+1234567"));
  EXPECT_FALSE(is_e164("+1234567890123456"));
  EXPECT_FALSE(is_e164("+0612345678"));
  EXPECT_FALSE(is_e164("0612345678"));
  EXPECT_FALSE(is_e164("+33 6 12 34 56 78"));
}

TEST(Values, NumberPrefixIsPlusThenUpTo15Digits) {
  EXPECT_TRUE(is_number_prefix("+"));
  EXPECT_TRUE(is_number_prefix("+33"));
  EXPECT_FALSE(is_number_prefix("33"));
  EXPECT_FALSE(is_number_prefix("+3a"));
  EXPECT_FALSE(is_number_prefix(""));
}

TEST(Values, ListenAcceptsHostPortAndBracketedIpv6) {
  auto a = parse_listen("127.0.0.1:8480");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8480);
  EXPECT_TRUE(a->loopback);

  auto b = parse_listen("[::1]:80");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_TRUE(b->loopback);

  EXPECT_TRUE(parse_listen("127.1.2.3:1")->loopback);
  EXPECT_TRUE(parse_listen("localhost:65535")->loopback);
  EXPECT_FALSE(parse_listen("0.0.0.0:8480")->loopback);
  EXPECT_FALSE(parse_listen("[::]:8480")->loopback);
  EXPECT_FALSE(parse_listen("[2001:db8::1]:8480")->loopback);
  EXPECT_FALSE(parse_listen("admin.example.org:8480")->loopback);
}

TEST(Values, ListenRejectsMalformed) {
  EXPECT_FALSE(parse_listen("127.0.0.1").ok());
  EXPECT_FALSE(parse_listen("127.0.0.1:0").ok());
  EXPECT_FALSE(parse_listen("127.0.0.1:65536").ok());
  EXPECT_FALSE(parse_listen("127.0.0.1:http").ok());
  EXPECT_FALSE(parse_listen(":8480").ok());
  EXPECT_FALSE(parse_listen("[::1]8480").ok());
  EXPECT_FALSE(parse_listen("[not-v6]:8480").ok());
  auto bare_v6 = parse_listen("::1:8480");
  ASSERT_FALSE(bare_v6.ok());
  EXPECT_NE(bare_v6.error().message.find("brackets"), std::string::npos);
}

TEST(Values, ExpandEnvReplacesVariablesAndHonoursEscape) {
  const std::map<std::string, std::string> vars = {{"A", "alpha"}, {"EMPTY", ""}, {"B_2", "beta"}};
  const EnvLookup env = [&](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(expand_env("plain $ text", env).value(), "plain $ text");
  EXPECT_EQ(expand_env("${A}-${B_2}", env).value(), "alpha-beta");
  EXPECT_EQ(expand_env("x${EMPTY}y", env).value(), "xy");
  EXPECT_EQ(expand_env("$${A}", env).value(), "${A}");
  EXPECT_EQ(expand_env("cost: $5", env).value(), "cost: $5");

  auto unset = expand_env("${NOPE}", env);
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().message, "environment variable 'NOPE' is not set");
  EXPECT_FALSE(expand_env("${A", env).ok());
  EXPECT_FALSE(expand_env("${1A}", env).ok());
  EXPECT_FALSE(expand_env("${}", env).ok());
}

TEST(Values, ExpandEnvErrorsNeverRepeatTheText) {
  const EnvLookup none = [](const std::string&) { return std::optional<std::string>(); };
  for (const char* text : {"hunter2${", "hunter2${bad name}", "hunter2${X"}) {
    auto r = expand_env(text, none);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace passerelle::config
