// [rcs] and [[rcs.platform]]: defaults, required keys, secrets, ranges across platforms,
// webhook paths, and every error naming file:line:col and the key.

#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config_test_util.hpp"

namespace passerelle::config {
namespace {

using testing::config_of;
using testing::errors_of;
using testing::ScratchDir;

constexpr const char* kPlatform =
    "[rcs]\nenabled = true\n[[rcs.platform]]\nname = \"carrier-a\"\n"
    "api_url = \"http://127.0.0.1:9000/bot/v1\"\nbot_id = \"bot-a\"\ntoken = \"tok-a\"\n"
    "webhook_token = \"Bearer s3cret\"\nranges = [\"+3361\", \"+3362\"]\n";

TEST(RcsConfig, DefaultsAreOffOnLoopbackWithAFallbackTime) {
  const Config c = config_of("");
  EXPECT_FALSE(c.rcs.enabled);
  EXPECT_EQ(c.rcs.webhook_listen, "127.0.0.1:8481");
  EXPECT_EQ(c.rcs.capability_ttl_s, 86400);
  EXPECT_EQ(c.rcs.fallback_after_s, 300);
  EXPECT_EQ(c.rcs.webhook_max_body, 256 * 1024);
  EXPECT_TRUE(c.rcs.platforms.empty());
}

TEST(RcsConfig, APlatformWithItsDefaults) {
  const Config c = config_of(kPlatform);
  ASSERT_EQ(c.rcs.platforms.size(), 1u);
  const auto& p = c.rcs.platforms[0];
  EXPECT_EQ(p.name, "carrier-a");
  EXPECT_EQ(p.bot_id, "bot-a");
  EXPECT_EQ(p.token, "tok-a");
  EXPECT_EQ(p.webhook_path, "/rcs/carrier-a");
  EXPECT_EQ(p.webhook_token, "Bearer s3cret");
  EXPECT_EQ(p.ranges, (std::vector<std::string>{"+3361", "+3362"}));
  EXPECT_EQ(p.max_file_size, 100LL * 1024 * 1024);
  EXPECT_EQ(p.timeout_ms, 10000);
  EXPECT_EQ(p.max_connections, 4);
}

TEST(RcsConfig, TheRequiredKeysAreNamed) {
  EXPECT_EQ(errors_of("[[rcs.platform]]\nname = \"a\"\napi_url = \"http://127.0.0.1/bot/v1\"\n"
                      "token = \"t\"\nwebhook_token = \"x\"\nranges = [\"+33\"]\n"),
            "passerelle.toml:1:1: rcs.platform[0].bot_id: this key is required here");
  EXPECT_EQ(errors_of("[[rcs.platform]]\nname = \"a\"\napi_url = \"http://127.0.0.1/bot/v1\"\n"
                      "bot_id = \"b\"\nwebhook_token = \"x\"\nranges = [\"+33\"]\n"),
            "passerelle.toml:2:8: rcs.platform[0].name: a platform needs a bearer token (token, "
            "token_file) or a client_secret (client_secret, client_secret_file) for the token "
            "endpoint");
}

TEST(RcsConfig, WebhookEventsMustBeAuthenticatedUnlessSaidOtherwise) {
  const std::string no_hook =
      "[[rcs.platform]]\nname = \"a\"\napi_url = \"http://127.0.0.1/bot/v1\"\nbot_id = \"b\"\n"
      "token = \"t\"\nranges = [\"+33\"]\n";
  EXPECT_NE(errors_of(no_hook).find("rcs.platform[0].name: events from the platform must be "
                                    "authenticated"),
            std::string::npos)
      << errors_of(no_hook);
  EXPECT_TRUE(config_of(no_hook + "webhook_unauthenticated = true\n")
                  .rcs.platforms.at(0)
                  .webhook_unauthenticated);
}

TEST(RcsConfig, ApiUrlsOverPlainHttpOnlyOnLoopback) {
  std::string text = kPlatform;
  text.replace(text.find("http://127.0.0.1:9000"), 21, "http://maap.example");
  EXPECT_EQ(errors_of(text),
            "passerelle.toml:5:11: rcs.platform[0].api_url: secrets would cross the network in "
            "clear: use https:// (http:// is accepted only for 127.0.0.1, localhost or [::1])");
}

TEST(RcsConfig, ARangeBelongsToOnePlatformAndNamesAreUnique) {
  const std::string second =
      "[[rcs.platform]]\nname = \"carrier-b\"\napi_url = \"http://127.0.0.1:9001/bot/v1\"\n"
      "bot_id = \"bot-b\"\ntoken = \"tok-b\"\nwebhook_token = \"x\"\nranges = [\"+3362\"]\n";
  EXPECT_EQ(errors_of(std::string(kPlatform) + second),
            "passerelle.toml:16:11: rcs.platform[1].ranges[0]: range \"+3362\" is already served "
            "by platform \"carrier-a\"");
  std::string same = second;
  same.replace(same.find("carrier-b"), 9, "carrier-a");
  same.replace(same.find("\"+3362\""), 7, "\"+44\"");
  std::string e = errors_of(std::string(kPlatform) + same);
  EXPECT_NE(e.find("rcs.platform[1].name: platform \"carrier-a\" is already defined on line 4"),
            std::string::npos)
      << e;
  std::string hook = second;
  hook.replace(hook.find("\"+3362\""), 7, "\"+44\"");
  e = errors_of(std::string(kPlatform) + hook + "webhook_path = \"/rcs/carrier-a\"\n");
  EXPECT_NE(e.find("rcs.platform[1].webhook_path: \"/rcs/carrier-a\" is already the webhook path "
                   "of platform \"carrier-a\""),
            std::string::npos)
      << e;
}

TEST(RcsConfig, APoolOfChatbotsEachWithItsWebhookPath) {
  const Config c = config_of(std::string(kPlatform) + "pool_bots = [\"bot-a2\", \"bot a3\"]\n");
  EXPECT_EQ(c.rcs.platforms.at(0).pool_bots, (std::vector<std::string>{"bot-a2", "bot a3"}));
  EXPECT_NE(errors_of(std::string(kPlatform) + "pool_bots = [\"bot-a\"]\n")
                .find("rcs.platform[0].pool_bots[0]: \"bot-a\" is already the platform's bot_id"),
            std::string::npos);
  EXPECT_NE(errors_of(std::string(kPlatform) + "pool_bots = [\"b\", \"b\"]\n").find("pool_bots"),
            std::string::npos);
  // A pool bot's path (webhook_path + "/" + its id) may not be another platform's path.
  EXPECT_NE(errors_of(std::string(kPlatform) +
                      "pool_bots = [\"x\"]\n[[rcs.platform]]\nname = \"b\"\n"
                      "api_url = \"http://127.0.0.1:9001/bot/v1\"\nbot_id = \"bot-b\"\n"
                      "token = \"t\"\nwebhook_token = \"w\"\nranges = [\"+3363\"]\n"
                      "webhook_path = \"/rcs/carrier-a/x\"\n")
                .find("already the webhook path of platform \"carrier-a\""),
            std::string::npos);
}

TEST(RcsConfig, BadValuesSayWhatIsExpected) {
  std::string text = kPlatform;
  text += "webhook_path = \"rcs\"\nmax_connections = 0\n";
  const std::string e = errors_of(text + "[rcs.x]\n");
  EXPECT_NE(e.find("rcs.platform[0].webhook_path: expected a path starting with '/'"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("rcs.platform[0].max_connections:"), std::string::npos) << e;
  EXPECT_NE(errors_of("[rcs]\nfallback_after_s = -1\n").find("rcs.fallback_after_s"),
            std::string::npos);
  EXPECT_NE(errors_of("[rcs]\nwebhook_listen = \"nowhere\"\n").find("rcs.webhook_listen"),
            std::string::npos);
  EXPECT_NE(errors_of("[rcs]\ncapabilty_ttl_s = 5\n").find("did you mean 'capability_ttl_s'"),
            std::string::npos);
}

TEST(RcsConfig, SecretsComeFromFilesAndThePortabilityFileMustExist) {
  ScratchDir dir;
  const std::string token = dir.write("token", "tok-from-file\n");
  const std::string hook = dir.write("hook", "Bearer from-file\n");
  std::string text = kPlatform;
  text.replace(text.find("token = \"tok-a\""), 15, "token_file = \"" + token + "\"");
  text.replace(text.find("webhook_token = \"Bearer s3cret\""), 31,
               "webhook_token_file = \"" + hook + "\"");
  const Config c = config_of(text);
  EXPECT_EQ(c.rcs.platforms.at(0).token, "tok-from-file");
  EXPECT_EQ(c.rcs.platforms.at(0).webhook_token, "Bearer from-file");
  EXPECT_NE(errors_of("[rcs]\nportability_file = \"/nonexistent/ported.csv\"\n")
                .find("rcs.portability_file: file '/nonexistent/ported.csv' does not exist"),
            std::string::npos);
}

TEST(RcsConfig, DescribeShowsPlatformsWithoutSecrets) {
  const std::string d = describe(config_of(kPlatform));
  EXPECT_NE(d.find("rcs: enabled, webhook 127.0.0.1:8481"), std::string::npos) << d;
  EXPECT_NE(d.find("platform carrier-a: http://127.0.0.1:9000/bot/v1 bot \"bot-a\", token (set)"),
            std::string::npos)
      << d;
  EXPECT_EQ(d.find("tok-a"), std::string::npos);
  EXPECT_EQ(d.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace passerelle::config
