// Entry points: the example file, defaults, syntax errors, error collection, finding
// the file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "config_test_util.hpp"

namespace passerelle::config {
namespace {

using testing::config_of;
using testing::errors_of;
using testing::ScratchDir;

const std::string kExample = PASSERELLE_SOURCE_DIR "/config/passerelle.example.toml";

TEST(Load, ExampleLoadsWithoutErrorsOrWarnings) {
  auto r = load_config(kExample);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source_path, kExample);
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
}

// "Every key is listed with its default": the example's values are config.hpp's defaults,
// except the [[sms.smsc]] entry (an array of tables has no default entry).
TEST(Load, ExampleValuesAreTheDocumentedDefaults) {
  auto r = load_config(kExample);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Config defaults;
  EXPECT_EQ(r->bridge, defaults.bridge);
  EXPECT_EQ(r->log, defaults.log);
  EXPECT_EQ(r->http, defaults.http);
  EXPECT_EQ(r->store.path, "var/passerelle.db");  // resolved against bridge.data_dir
  EXPECT_EQ(r->store.batch_max, defaults.store.batch_max);
  EXPECT_EQ(r->store.batch_delay_ms, defaults.store.batch_delay_ms);
  EXPECT_EQ(r->files.dir, "var/files");                     // resolved against bridge.data_dir
  EXPECT_EQ(r->files.public_url, "http://127.0.0.1:8480");  // from http.listen
  EXPECT_EQ(r->files.ttl_s, defaults.files.ttl_s);
  EXPECT_EQ(r->files.max_files, defaults.files.max_files);
  EXPECT_EQ(r->delivery, defaults.delivery);
  EXPECT_EQ(r->access, defaults.access);
  EXPECT_EQ(r->xmpp, defaults.xmpp);
  EXPECT_EQ(r->oscar, defaults.oscar);
  EXPECT_EQ(r->msn, defaults.msn);
  EXPECT_TRUE(r->people.empty());

  SmsSection sms = r->sms;
  ASSERT_EQ(sms.smsc.size(), 1u);
  Smsc expected;
  expected.name = "primary";
  expected.system_id = "passerelle";
  expected.password = "secret";
  EXPECT_EQ(sms.smsc[0], expected);
  sms.smsc.clear();
  EXPECT_EQ(sms, defaults.sms);
}

// The commented-out [[xmpp.accounts]], [[rcs.platform]] and [[people]] examples are valid
// once uncommented.
TEST(Load, ExampleCommentedTablesAreValid) {
  std::ifstream in(kExample);
  ScratchDir dir;
  const auto password = dir.write("bob.password", "pw\n");
  std::string text, line;
  while (std::getline(in, line)) {
    const bool commented_key = line.rfind("# [[", 0) == 0 ||
                               (line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos &&
                                std::isalpha(static_cast<unsigned char>(line[2])));
    if (commented_key) line = line.substr(2);
    if (auto at = line.find("/etc/passerelle/bob.password"); at != std::string::npos)
      line.replace(at, std::strlen("/etc/passerelle/bob.password"), password);
    for (const char* secret : {"carrier-a.token", "carrier-a.secret", "carrier-a.webhook"})
      if (auto at = line.find(std::string("/etc/passerelle/") + secret); at != std::string::npos)
        line.replace(at, std::strlen("/etc/passerelle/") + std::strlen(secret),
                     dir.write(secret, "s3cret\n"));
    text += line + "\n";
  }
  Config c = config_of(text);
  ASSERT_EQ(c.xmpp.accounts.size(), 1u);
  EXPECT_EQ(c.xmpp.accounts[0].person, "bob");
  EXPECT_EQ(c.xmpp.accounts[0].password, "pw");
  ASSERT_EQ(c.rcs.platforms.size(), 1u);
  EXPECT_EQ(c.rcs.platforms[0].ranges, (std::vector<std::string>{"+3361", "+3362"}));
  EXPECT_EQ(c.rcs.platforms[0].webhook_token, "s3cret");
  ASSERT_EQ(c.people.size(), 1u);
  EXPECT_EQ(c.people[0].monthly_cap, 500);
  EXPECT_EQ(c.people[0].addresses, std::vector<std::string>{"xmpp:bob@example.org"});
  ASSERT_EQ(c.oscar.accounts.size(), 2u);
  EXPECT_EQ(c.oscar.accounts[0].network, "aim");
  EXPECT_EQ(c.oscar.accounts[0].login, "bobsn");
  EXPECT_EQ(c.oscar.accounts[0].password, "pw");
  EXPECT_TRUE(c.oscar.accounts[1].gateway);
  EXPECT_EQ(c.oscar.accounts[1].login, "passerellesms");
  EXPECT_EQ(c.oscar.accounts[1].allow, (std::vector<std::string>{"bobsn", "carolsn"}));
  ASSERT_EQ(c.msn.accounts.size(), 1u);
  EXPECT_EQ(c.msn.accounts[0].network, "msn");
  EXPECT_EQ(c.msn.accounts[0].login, "bob@hotmail.com");
  EXPECT_TRUE(c.msn.accounts[0].sms_to_offline_contacts);
}

TEST(Load, EmptyFileGivesAllDefaults) {
  Config c = config_of("");
  Config expected;
  expected.source_path = "passerelle.toml";
  expected.store.path = "var/passerelle.db";
  expected.store.key_file = "var/secret.key";
  expected.files.dir = "var/files";
  expected.files.public_url = "http://127.0.0.1:8480";
  expected.warnings = c.warnings;
  EXPECT_EQ(c, expected);
  // Nothing is required at the top level; an SMS side without SMSC is only a warning.
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0],
            "passerelle.toml: sms.enabled: sms.enabled is true but no [[sms.smsc]] is configured: "
            "no SMS can be sent");
}

TEST(Load, StorePathIsRelativeToDataDirUnlessAbsolute) {
  EXPECT_EQ(config_of("[bridge]\ndata_dir = \"/srv/p\"\n").store.path, "/srv/p/passerelle.db");
  EXPECT_EQ(config_of("[bridge]\ndata_dir = \"/srv/p\"\n[store]\npath = \"db/x.db\"\n").store.path,
            "/srv/p/db/x.db");
  EXPECT_EQ(config_of("[store]\npath = \"/abs/x.db\"\n").store.path, "/abs/x.db");
  // The key of stored passwords, likewise.
  EXPECT_EQ(config_of("[bridge]\ndata_dir = \"/srv/p\"\n").store.key_file, "/srv/p/secret.key");
  EXPECT_EQ(config_of("[store]\nkey_file = \"/etc/passerelle/key\"\n").store.key_file,
            "/etc/passerelle/key");
  EXPECT_NE(errors_of("[store]\nkey_file = \"\"\n").find("passerelle.toml:2:12: store.key_file"),
            std::string::npos)
      << errors_of("[store]\nkey_file = \"\"\n");
}

TEST(Load, FilesDirAndLinks) {
  Config c = config_of("[bridge]\ndata_dir = \"/srv/p\"\n[http]\nlisten = \"127.0.0.1:9000\"\n");
  EXPECT_EQ(c.files.dir, "/srv/p/files");
  EXPECT_EQ(c.files.public_url, "http://127.0.0.1:9000");
  c = config_of("[files]\ndir = \"/var/lib/f\"\npublic_url = \"https://files.example.org/\"\n");
  EXPECT_EQ(c.files.dir, "/var/lib/f");
  EXPECT_EQ(c.files.public_url, "https://files.example.org");  // no trailing '/'
  EXPECT_NE(
      errors_of("[files]\npublic_url = \"http://files.example.org\"\n").find("files.public_url"),
      std::string::npos);  // plain http only on loopback
  EXPECT_NE(errors_of("[files]\nttl_s = 10\n").find("passerelle.toml:2:9: files.ttl_s"),
            std::string::npos);
  EXPECT_NE(errors_of("[files]\ndri = \"x\"\n").find("did you mean 'dir'"), std::string::npos);
}

TEST(Load, SyntaxErrorCarriesTomlPosition) {
  EXPECT_EQ(errors_of("[bridge]\ndomain = \n", "my.toml").substr(0, 33),
            "my.toml:2:10: TOML syntax error: ");
  const std::string dup = errors_of("[log]\nlevel = \"info\"\nlevel = \"warn\"\n");
  EXPECT_EQ(dup.rfind("passerelle.toml:3:", 0), 0u) << dup;
}

TEST(Load, ErrorNamesFileLineColumnAndDottedKey) {
  EXPECT_EQ(
      errors_of("[[sms.smsc]]\nname = \"a\"\nwindow = \"ten\"\n"),
      "passerelle.toml:3:10: sms.smsc[0].window: expected an integer from 1 to 1024, got \"ten\"");
}

TEST(Load, AllErrorsAreCollectedInFileOrder) {
  const std::string msg = errors_of(
      "[store]\nbatch_max = 0\n"
      "[log]\nlevel = \"loud\"\nformat = \"xml\"\n"
      "[xmpp]\ncomponent_port = 70000\n");
  EXPECT_EQ(
      msg,
      "passerelle.toml:2:13: store.batch_max: expected an integer from 1 to 100000, got 0\n"
      "passerelle.toml:4:9: log.level: expected one of \"trace\", \"debug\", \"info\", \"warn\", "
      "\"error\", "
      "got \"loud\"\n"
      "passerelle.toml:5:10: log.format: expected one of \"text\", \"json\", got \"xml\"\n"
      "passerelle.toml:7:18: xmpp.component_port: expected an integer from 1 to 65535, got 70000");
}

TEST(Load, AtMostTwentyErrorsThenACount) {
  std::string text = "[access]\nallow_jids = [";
  for (int i = 0; i < 25; ++i) text += "\"not a jid\", ";
  text += "]\n";
  const std::string msg = errors_of(text);
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 20);
  EXPECT_NE(msg.find("\n... and 5 more errors"), std::string::npos) << msg;
}

TEST(Load, MissingFileIsAnError) {
  auto r = load_config("/nonexistent/passerelle.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/passerelle.toml"), std::string::npos);
}

TEST(Load, LoadConfigReadsTheFile) {
  ScratchDir dir;
  const auto path = dir.write("p.toml", "[log]\nlevel = \"debug\"\n");
  auto r = load_config(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->log.level, "debug");
  EXPECT_EQ(r->source_path, path);
}

// Changes the working directory and PASSERELLE_CONFIG for one test, then restores both.
class FindConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = std::filesystem::current_path();
    if (const char* v = std::getenv("PASSERELLE_CONFIG")) old_env_ = v;
    ::unsetenv("PASSERELLE_CONFIG");
    std::filesystem::current_path(dir_.path());
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    if (old_env_)
      ::setenv("PASSERELLE_CONFIG", old_env_->c_str(), 1);
    else
      ::unsetenv("PASSERELLE_CONFIG");
  }
  ScratchDir dir_;
  std::filesystem::path old_cwd_;
  std::optional<std::string> old_env_;
};

TEST_F(FindConfig, NothingFoundNamesAllThreePlaces) {
  auto r = find_config_path("");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--config"), std::string::npos);
  EXPECT_NE(r.error().message.find("$PASSERELLE_CONFIG"), std::string::npos);
  EXPECT_NE(r.error().message.find("./passerelle.toml"), std::string::npos);
}

TEST_F(FindConfig, OrderIsOptionThenEnvironmentThenWorkingDirectory) {
  dir_.write("passerelle.toml", "");
  EXPECT_EQ(find_config_path("").value(), "./passerelle.toml");

  const auto from_env = dir_.write("env.toml", "");
  ::setenv("PASSERELLE_CONFIG", from_env.c_str(), 1);
  EXPECT_EQ(find_config_path("").value(), from_env);

  const auto from_cli = dir_.write("cli.toml", "");
  EXPECT_EQ(find_config_path(from_cli).value(), from_cli);
}

TEST_F(FindConfig, ExplicitButMissingIsAnErrorNotAFallback) {
  dir_.write("passerelle.toml", "");
  auto cli = find_config_path("missing.toml");
  ASSERT_FALSE(cli.ok());
  EXPECT_NE(cli.error().message.find("'missing.toml' (given with --config)"), std::string::npos);

  ::setenv("PASSERELLE_CONFIG", "gone.toml", 1);
  auto env = find_config_path("");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.error().message.find("'gone.toml' (from $PASSERELLE_CONFIG)"), std::string::npos);
}

}  // namespace
}  // namespace passerelle::config
