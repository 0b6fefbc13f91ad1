// Secrets: *_file keys, ${ENV} references, and that no secret reaches a message or
// describe().

#include <gtest/gtest.h>

#include <cstdlib>

#include "config_test_util.hpp"

namespace passerelle::config {
namespace {

using testing::config_of;
using testing::errors_of;
using testing::ScratchDir;

// Sets environment variables for one test and removes them afterwards.
class Env {
 public:
  ~Env() {
    for (const auto& n : names_) ::unsetenv(n.c_str());
  }
  void set(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
    names_.push_back(name);
  }

 private:
  std::vector<std::string> names_;
};

TEST(Secrets, FileGivesItsFirstLineWithoutLineEnd) {
  ScratchDir dir;
  dir.write("component.secret", "s3cr3t-value\r\nsecond line\n");
  Config c = config_of("[xmpp]\nsecret_file = \"component.secret\"\n", dir.file("p.toml"));
  EXPECT_EQ(c.xmpp.secret, "s3cr3t-value");
  EXPECT_TRUE(c.warnings.empty() || c.warnings[0].find("secret") == std::string::npos);
}

TEST(Secrets, RelativeFileIsResolvedAgainstTheConfigDirectory) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "etc" / "secrets");
  dir.write("etc/secrets/smsc.pw", "smscpw\n");
  const std::string config = dir.write(
      "etc/passerelle.toml",
      "[[sms.smsc]]\nname = \"a\"\npassword = \"\"\npassword_file = \"secrets/smsc.pw\"\n");
  auto r = load_config(config);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sms.smsc[0].password, "smscpw");
}

TEST(Secrets, WorldReadableFileIsAWarningNamingTheFile) {
  ScratchDir dir;
  const auto path = dir.write("pw", "open-secret\n", 0644);
  Config c = config_of("[xmpp]\nsecret_file = \"" + path + "\"\n");
  ASSERT_EQ(c.warnings.size(), 2u);  // after the missing-SMSC one, which has no position
  EXPECT_EQ(c.warnings[1], "passerelle.toml:2:15: xmpp.secret_file: secret file '" + path +
                               "' is readable by every user; chmod o-r it");
  EXPECT_EQ(c.xmpp.secret, "open-secret");
  for (const auto& w : c.warnings) EXPECT_EQ(w.find("open-secret"), std::string::npos);
}

TEST(Secrets, MissingOrEmptyFileIsAnErrorNamingTheFile) {
  ScratchDir dir;
  const auto missing = dir.file("nope");
  const std::string msg = errors_of("[xmpp]\nsecret_file = \"" + missing + "\"\n");
  EXPECT_EQ(msg, "passerelle.toml:2:15: xmpp.secret_file: cannot read secret file '" + missing +
                     "': No such file or directory");

  const auto empty = dir.write("empty", "\n");
  EXPECT_EQ(errors_of("[xmpp]\nsecret_file = \"" + empty + "\"\n"),
            "passerelle.toml:2:15: xmpp.secret_file: secret file '" + empty +
                "' is empty (the secret is its first line)");

  EXPECT_EQ(errors_of("[xmpp]\nsecret_file = \"" + dir.path().string() + "\"\n"),
            "passerelle.toml:2:15: xmpp.secret_file: secret file '" + dir.path().string() +
                "' is not a regular file");
}

TEST(Secrets, InlineAndFileTogetherIsAnErrorWithoutTheValue) {
  ScratchDir dir;
  const auto path = dir.write("pw", "from-file\n");
  const std::string msg =
      errors_of("[xmpp]\nsecret = \"inline-secret\"\nsecret_file = \"" + path + "\"\n");
  EXPECT_EQ(
      msg,
      "passerelle.toml:3:15: xmpp.secret_file: both xmpp.secret and xmpp.secret_file are set; "
      "keep only one");
  // An empty inline value next to a file is the documented default layout, not a conflict.
  EXPECT_EQ(config_of("[xmpp]\nsecret = \"\"\nsecret_file = \"" + path + "\"\n").xmpp.secret,
            "from-file");
}

TEST(Secrets, HttpTokenComesOnlyFromAFile) {
  EXPECT_EQ(errors_of("[http]\ntoken = \"abc\"\n"),
            "passerelle.toml:2:1: http.token: unknown key, did you mean 'token_file'?");
}

TEST(Secrets, EmptyComponentSecretIsAnErrorWhileXmppIsEnabled) {
  EXPECT_EQ(errors_of("[xmpp]\nsecret = \"\"\n"),
            "passerelle.toml:2:10: xmpp.secret: the component secret is empty while xmpp.enabled "
            "is true; set "
            "secret or secret_file");
  EXPECT_EQ(errors_of("[xmpp]\nsecret = \"\"\nsecret_file = \"\"\n"),
            "passerelle.toml:2:10: xmpp.secret: the component secret is empty while xmpp.enabled "
            "is true; set "
            "secret or secret_file");
  EXPECT_EQ(config_of("[xmpp]\nenabled = false\nsecret = \"\"\n").xmpp.secret, "");
}

TEST(Secrets, EnvironmentReferencesExpandInAnyString) {
  Env env;
  env.set("PASSERELLE_TEST_DOMAIN", "chat.example.net");
  env.set("PASSERELLE_TEST_PW", "env-secret");
  Config c = config_of(
      "[bridge]\ndomain = \"${PASSERELLE_TEST_DOMAIN}\"\n"
      "[sms]\nhelp_text = \"cost: $${PRICE} on ${PASSERELLE_TEST_DOMAIN}\"\n"
      "[[sms.smsc]]\nname = \"a\"\npassword = \"${PASSERELLE_TEST_PW}\"\n");
  EXPECT_EQ(c.bridge.domain, "chat.example.net");
  EXPECT_EQ(c.sms.help_text, "cost: ${PRICE} on chat.example.net");
  EXPECT_EQ(c.sms.smsc[0].password, "env-secret");
}

TEST(Secrets, UnsetVariableIsAnErrorNamingItAndThePosition) {
  ::unsetenv("PASSERELLE_TEST_UNSET");
  EXPECT_EQ(
      errors_of("[xmpp]\nsecret = \"${PASSERELLE_TEST_UNSET}\"\n"),
      "passerelle.toml:2:10: xmpp.secret: environment variable 'PASSERELLE_TEST_UNSET' is not set");
  EXPECT_EQ(errors_of("[access]\nallow_domains = [\"a.org\", \"${PASSERELLE_TEST_UNSET}\"]\n"),
            "passerelle.toml:2:27: access.allow_domains[1]: environment variable "
            "'PASSERELLE_TEST_UNSET' is not "
            "set");
}

TEST(Secrets, NeverInErrorMessages) {
  // Wrong type, bad ${...} syntax: the message must not echo the value.
  const std::string a = errors_of("[[sms.smsc]]\nname = \"a\"\npassword = 87654321\n");
  EXPECT_EQ(a, "passerelle.toml:3:12: sms.smsc[0].password: expected a string, got an integer");
  const std::string b = errors_of("[xmpp]\nsecret = \"hunter2${oops\"\n");
  EXPECT_EQ(b.find("hunter2"), std::string::npos) << b;
  // An error elsewhere in a file that holds secrets shows none of them.
  ScratchDir dir;
  const auto path = dir.write("pw", "file-secret-xyz\n");
  const std::string c = errors_of(
      "[xmpp]\nsecret = \"inline-secret-xyz\"\n"
      "[[sms.smsc]]\nname = \"a\"\npassword_file = \"" +
      path + "\"\nwindow = 0\n");
  EXPECT_EQ(c.find("secret-xyz"), std::string::npos) << c;
}

TEST(Describe, ShowsStructureAndRedactsSecrets) {
  Env env;
  env.set("PASSERELLE_TEST_PW", "env-secret-xyz");
  ScratchDir dir;
  dir.write("token", "token-secret-xyz\n");
  const std::string text =
      std::string("[http]\ntoken_file = \"token\"\n") +
      "[xmpp]\nsecret = \"component-secret-xyz\"\n"
      "[[xmpp.accounts]]\njid = \"bob@example.org\"\npassword = \"${PASSERELLE_TEST_PW}\"\nperson "
      "= \"bob\"\n"
      "[[people]]\nname = \"bob\"\nphone = \"+33611111111\"\n"
      "[[sms.smsc]]\nname = \"fr\"\nprefixes = [\"+33\"]\npassword = \"smsc-secret-xyz\"\n"
      "[[sms.smsc]]\nname = \"rest\"\nsystem_id = \"sys\"\n";
  Config c = config_of(text, dir.file("p.toml"));
  const std::string d = describe(c);
  EXPECT_EQ(d.find("secret-xyz"), std::string::npos) << d;
  EXPECT_NE(d.find("http: listen 127.0.0.1:8480 (loopback), token (set)"), std::string::npos) << d;
  EXPECT_NE(d.find("secret (set)"), std::string::npos) << d;
  EXPECT_NE(d.find("account bob@example.org (person bob)"), std::string::npos) << d;
  EXPECT_NE(d.find("smsc fr: 127.0.0.1:2775, system_id \"\", password (set)"), std::string::npos)
      << d;
  EXPECT_NE(d.find("smsc rest: 127.0.0.1:2775, system_id \"sys\", password (not set)"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("routes: \n  +33 -> fr\n  + -> rest\n"), std::string::npos) << d;
  EXPECT_NE(d.find("people: 1\n"), std::string::npos) << d;
}

TEST(Describe, ExampleSummary) {
  auto r = load_config(PASSERELLE_SOURCE_DIR "/config/passerelle.example.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::string d = describe(*r);
  EXPECT_EQ(d.find("change-me"), std::string::npos) << d;
  EXPECT_EQ(d.find("password (set)") == std::string::npos, false) << d;
  EXPECT_NE(d.find("xmpp: enabled, component 127.0.0.1:5347, secret (set), networks sms"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("people: 0"), std::string::npos) << d;
}

}  // namespace
}  // namespace passerelle::config
