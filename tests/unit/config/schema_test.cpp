// The schema: unknown keys, types and ranges, cross-references, the HTTP safety rule.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "config_test_util.hpp"

namespace passerelle::config {
namespace {

using testing::config_of;
using testing::errors_of;
using testing::ScratchDir;

constexpr const char* kPerson = "[[people]]\nname = \"bob\"\nphone = \"+33611111111\"\n";

TEST(Schema, UnknownKeySuggestsTheNearestValidKeyThere) {
  EXPECT_EQ(
      errors_of("[[sms.smsc]]\nname = \"a\"\nthroughtput = 5\n"),
      "passerelle.toml:3:1: sms.smsc[0].throughtput: unknown key, did you mean 'throughput'?");
  EXPECT_EQ(
      errors_of("[xmpp]\ncomponent_prot = 5347\n"),
      "passerelle.toml:2:1: xmpp.component_prot: unknown key, did you mean 'component_port'?");
  EXPECT_EQ(errors_of("colour = 1\n"), "passerelle.toml:1:1: colour: unknown key");
}

TEST(Schema, UnknownSectionSuggestsTheNearestSection) {
  EXPECT_EQ(errors_of("[smss]\nenabled = true\n"),
            "passerelle.toml:1:2: smss: unknown section, did you mean 'sms'?");
  EXPECT_EQ(errors_of("[sms.smcs]\n"),
            "passerelle.toml:1:6: sms.smcs: unknown section, did you mean 'smsc'?");
  EXPECT_EQ(errors_of("[[peoples]]\nname = \"x\"\n"),
            "passerelle.toml:1:3: peoples: unknown section, did you mean 'people'?");
}

TEST(Schema, SectionsMustBeTables) {
  EXPECT_EQ(errors_of("bridge = 5\n"),
            "passerelle.toml:1:10: bridge: expected a table ([bridge]), got 5");
  EXPECT_EQ(errors_of("[sms]\nsmsc = 3\n"),
            "passerelle.toml:2:8: sms.smsc: expected tables ([[sms.smsc]]), got 3");
}

TEST(Schema, TypeAndRangeChecks) {
  EXPECT_EQ(errors_of("[bridge]\nallow_fixed_line = \"yes\"\n"),
            "passerelle.toml:2:20: bridge.allow_fixed_line: expected true or false, got \"yes\"");
  EXPECT_EQ(errors_of("[bridge]\nio_threads = 0\n"),
            "passerelle.toml:2:14: bridge.io_threads: expected an integer from 1 to 64, got 0");
  EXPECT_EQ(
      errors_of("[bridge]\nio_threads = \"two\"\n"),
      "passerelle.toml:2:14: bridge.io_threads: expected an integer from 1 to 64, got \"two\"");
  EXPECT_EQ(
      errors_of("[xmpp]\ncomponent_port = 0\n"),
      "passerelle.toml:2:18: xmpp.component_port: expected an integer from 1 to 65535, got 0");
  EXPECT_EQ(
      errors_of("[[sms.smsc]]\nname = \"a\"\nwindow = 1025\n"),
      "passerelle.toml:3:10: sms.smsc[0].window: expected an integer from 1 to 1024, got 1025");
  EXPECT_EQ(errors_of("[[sms.smsc]]\nname = \"a\"\nwindow = 10.0\n"),
            "passerelle.toml:3:10: sms.smsc[0].window: expected an integer from 1 to 1024, got 10");
  EXPECT_EQ(errors_of("[[sms.smsc]]\nname = \"a\"\npart_hold_ms = -1\n"),
            "passerelle.toml:3:16: sms.smsc[0].part_hold_ms: expected an integer from 0 to 10000, "
            "got -1");
  EXPECT_EQ(config_of("[[sms.smsc]]\nname = \"a\"\npart_hold_ms = 0\n").sms.smsc[0].part_hold_ms,
            0);
  EXPECT_EQ(config_of("[[sms.smsc]]\nname = \"a\"\n").sms.smsc[0].part_hold_ms, 250);
  EXPECT_EQ(
      errors_of("[[sms.smsc]]\nname = \"a\"\nthroughput = 0\n"),
      "passerelle.toml:3:14: sms.smsc[0].throughput: expected a number greater than 0 and at most "
      "1000000, got 0");
  EXPECT_EQ(config_of("[[sms.smsc]]\nname = \"a\"\nthroughput = 2.5\n").sms.smsc[0].throughput,
            2.5);
  EXPECT_EQ(
      errors_of("[store]\nbatch_delay_ms = -1\n"),
      "passerelle.toml:2:18: store.batch_delay_ms: expected an integer from 0 to 10000, got -1");
  EXPECT_EQ(
      errors_of("[delivery]\nmax_attempts = 0\n"),
      "passerelle.toml:2:16: delivery.max_attempts: expected an integer from 1 to 1000, got 0");
  EXPECT_EQ(
      errors_of("[sms]\ndefault_monthly_cap = -5\n"),
      "passerelle.toml:2:23: sms.default_monthly_cap: expected an integer of at least 0, got -5");
  EXPECT_EQ(errors_of("[bridge]\ndefault_country = \"FRA\"\n"),
            "passerelle.toml:2:19: bridge.default_country: expected a two-letter ISO 3166 country "
            "code like "
            "\"FR\", got \"FRA\"");
  EXPECT_EQ(config_of("[bridge]\ndefault_country = \"de\"\n").bridge.default_country, "DE");
}

TEST(Schema, EnumeratedValuesSuggestTheNearest) {
  EXPECT_EQ(errors_of("[log]\nlevel = \"warning\"\n"),
            "passerelle.toml:2:9: log.level: expected one of \"trace\", \"debug\", \"info\", "
            "\"warn\", \"error\", "
            "got \"warning\", did you mean 'warn'?");
  EXPECT_EQ(errors_of("[[sms.smsc]]\nname = \"a\"\nbind = \"transmitter\"\n"),
            "passerelle.toml:3:8: sms.smsc[0].bind: expected one of \"transceiver\", "
            "\"transmitter+receiver\", "
            "got \"transmitter\", did you mean 'transmitter+receiver'?");
  EXPECT_EQ(
      config_of("[[sms.smsc]]\nname = \"a\"\nbind = \"transmitter+receiver\"\n").sms.smsc[0].bind,
      "transmitter+receiver");
  EXPECT_EQ(config_of("[log]\nformat = \"json\"\n").log.format, "json");
}

TEST(Schema, RetryAndReconnectBoundsMustBeOrdered) {
  EXPECT_EQ(errors_of("[delivery]\nretry_max_ms = 500\n"),
            "passerelle.toml:2:16: delivery.retry_max_ms: delivery.retry_max_ms (500) is less than "
            "delivery.retry_initial_ms (1000)");
  EXPECT_EQ(
      errors_of("[xmpp]\nreconnect_initial_ms = 70000\n"),
      "passerelle.toml:2:24: xmpp.reconnect_initial_ms: xmpp.reconnect_max_ms (60000) is less than "
      "xmpp.reconnect_initial_ms (70000)");
}

TEST(Schema, XmppNetworksMustBeKnownSubdomainNetworks) {
  EXPECT_EQ(config_of("[xmpp]\nnetworks = [\"sms\", \"aim\", \"icq\", \"msn\", \"rcs\"]\n")
                .xmpp.networks.size(),
            5u);
  EXPECT_EQ(errors_of("[xmpp]\nnetworks = [\"smss\", \"xmpp\", \"sms\", \"sms\"]\n"),
            "passerelle.toml:2:13: xmpp.networks[0]: unknown network \"smss\", did you mean 'sms'? "
            "(known: sms, rcs, aim, icq, msn)\n"
            "passerelle.toml:2:21: xmpp.networks[1]: unknown network \"xmpp\" (known: sms, rcs, "
            "aim, icq, msn)\n"
            "passerelle.toml:2:36: xmpp.networks[3]: \"sms\" is listed twice (also at 2:29)");
}

TEST(Schema, AccessListsAreBareJidsAndDomains) {
  Config c = config_of(
      "[access]\nallow_jids = [\"Alice@Example.ORG\"]\nallow_domains = [\"Example.net\"]\n");
  EXPECT_EQ(c.access.allow_jids, std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(c.access.allow_domains, std::vector<std::string>{"example.net"});
  EXPECT_EQ(
      errors_of(
          "[access]\nallow_jids = [\"alice@example.org/phone\"]\nallow_domains = [\"a@b\"]\n"),
      "passerelle.toml:2:15: access.allow_jids[0]: expected a bare JID like \"alice@example.org\", "
      "got "
      "\"alice@example.org/phone\"\n"
      "passerelle.toml:3:18: access.allow_domains[0]: expected a domain name like \"example.org\", "
      "got \"a@b\"");
}

TEST(Schema, SenderNumbersAndPhonesAreE164) {
  EXPECT_EQ(
      errors_of("[sms]\nsender_numbers = [\"+33700000001\", \"0612345678\", \"+0612345678\"]\n"),
      "passerelle.toml:2:35: sms.sender_numbers[1]: expected an E.164 number (\"+\" then 8 to 15 "
      "digits, "
      "the first not 0), got \"0612345678\"\n"
      "passerelle.toml:2:49: sms.sender_numbers[2]: expected an E.164 number (\"+\" then 8 to 15 "
      "digits, "
      "the first not 0), got \"+0612345678\"");
  EXPECT_EQ(
      errors_of("[[people]]\nname = \"bob\"\nphone = \"+33 6 11\"\n"),
      "passerelle.toml:3:9: people[0].phone: expected an E.164 number (\"+\" then 8 to 15 digits, "
      "the first not 0), got \"+33 6 11\"");
  EXPECT_EQ(errors_of("[sms]\nsender_numbers = []\n"),
            "passerelle.toml:2:18: sms.sender_numbers: at least one sender number is needed while "
            "sms.enabled "
            "is true");
  EXPECT_TRUE(
      config_of("[sms]\nenabled = false\nsender_numbers = []\n").sms.sender_numbers.empty());
}

TEST(Schema, RequiredKeysInArraysOfTables) {
  EXPECT_EQ(errors_of("[[sms.smsc]]\nhost = \"smsc.example.net\"\n"),
            "passerelle.toml:1:1: sms.smsc[0].name: this key is required here");
  EXPECT_EQ(errors_of("[[people]]\nname = \"bob\"\n"),
            "passerelle.toml:1:1: people[0].phone: this key is required here");
  EXPECT_EQ(errors_of(std::string(kPerson) +
                      "[[xmpp.accounts]]\njid = \"bob@example.org\"\nperson = \"bob\"\n"),
            "passerelle.toml:4:1: xmpp.accounts[0].password: a password (password or "
            "password_file) is required");
}

TEST(Schema, DuplicateSmscAndPersonNames) {
  EXPECT_EQ(errors_of("[[sms.smsc]]\nname = \"a\"\nprefixes = [\"+33\"]\n"
                      "[[sms.smsc]]\nname = \"a\"\nprefixes = [\"+44\"]\n"),
            "passerelle.toml:5:8: sms.smsc[1].name: SMSC \"a\" is already defined on line 2");
  EXPECT_EQ(errors_of(std::string(kPerson) + kPerson),
            "passerelle.toml:5:8: people[1].name: person \"bob\" is already defined on line 2");
}

TEST(Schema, OnePrefixRoutesToOneSmsc) {
  EXPECT_EQ(
      errors_of(
          "[[sms.smsc]]\nname = \"a\"\n[[sms.smsc]]\nname = \"b\"\nprefixes = [\"+33\", \"+\"]\n"),
      "passerelle.toml:5:20: sms.smsc[1].prefixes[1]: prefix \"+\" is already routed to SMSC "
      "\"a\"");
  EXPECT_EQ(errors_of("[[sms.smsc]]\nname = \"a\"\nprefixes = [\"33\"]\n"),
            "passerelle.toml:3:13: sms.smsc[0].prefixes[0]: expected a number prefix (\"+\" then "
            "up to 15 "
            "digits), got \"33\"");
  Config c = config_of(
      "[[sms.smsc]]\nname = \"fr\"\nprefixes = [\"+33\"]\n[[sms.smsc]]\nname = \"rest\"\n");
  EXPECT_EQ(c.sms.smsc[1].prefixes, std::vector<std::string>{"+"});
}

TEST(Schema, TariffKeysArePrefixesAndPricesNonNegativeIntegers) {
  Config c = config_of("[[sms.smsc]]\nname = \"a\"\ntariff = { \"+\" = 7, \"+33\" = 4 }\n");
  EXPECT_EQ(c.sms.smsc[0].tariff, (std::map<std::string, std::int64_t>{{"+", 7}, {"+33", 4}}));
  EXPECT_TRUE(config_of("[[sms.smsc]]\nname = \"a\"\ntariff = {}\n").sms.smsc[0].tariff.empty());
  EXPECT_EQ(
      errors_of(
          "[[sms.smsc]]\nname = \"a\"\ntariff = { \"33\" = 1, \"+1\" = -2, \"+4\" = \"x\" }\n"),
      "passerelle.toml:3:12: sms.smsc[0].tariff.33: a tariff key is a number prefix: \"+\" then up "
      "to 15 "
      "digits, e.g. \"+33\"\n"
      "passerelle.toml:3:29: sms.smsc[0].tariff.\"+1\": expected a non-negative integer price, got "
      "-2\n"
      "passerelle.toml:3:40: sms.smsc[0].tariff.\"+4\": expected a non-negative integer price, got "
      "\"x\"");
}

TEST(Schema, PeopleAddressesAreNetworkIdAndCanonical) {
  Config c = config_of(std::string(kPerson) +
                       "addresses = [\"xmpp:Bob@Example.org/home\", \"aim:Bob Smith\"]\n");
  EXPECT_EQ(c.people[0].addresses,
            (std::vector<std::string>{"xmpp:bob@example.org", "aim:bobsmith"}));
  EXPECT_EQ(
      errors_of(std::string(kPerson) + "addresses = [\"bogus\", \"fax:123\"]\n"),
      "passerelle.toml:4:14: people[0].addresses[0]: 'bogus' has no network (expected network:id)\n"
      "passerelle.toml:4:23: people[0].addresses[1]: unknown network 'fax'");
  EXPECT_EQ(
      errors_of(
          std::string(kPerson) + "addresses = [\"icq:1234\"]\n" +
          "[[people]]\nname = \"eve\"\nphone = \"+33622222222\"\naddresses = [\"icq:1234\"]\n"),
      "passerelle.toml:8:14: people[1].addresses[0]: \"icq:1234\" already belongs to person "
      "\"bob\"");
}

TEST(Schema, AccountsReferToPeople) {
  Config c = config_of(
      std::string(kPerson) +
      "[[xmpp.accounts]]\njid = \"Bob@Example.org\"\npassword = \"pw\"\nperson = \"bob\"\n");
  ASSERT_EQ(c.xmpp.accounts.size(), 1u);
  EXPECT_EQ(c.xmpp.accounts[0].jid, "bob@example.org");
  EXPECT_EQ(c.xmpp.accounts[0].tls, "required");
  EXPECT_EQ(
      errors_of(
          std::string(kPerson) +
          "[[xmpp.accounts]]\njid = \"bob@example.org\"\npassword = \"pw\"\nperson = \"bbo\"\n"
          "tls = \"off\"\n"),
      "passerelle.toml:7:10: xmpp.accounts[0].person: no [[people]] entry is named \"bbo\", did "
      "you mean "
      "'bob'?\n"
      "passerelle.toml:8:7: xmpp.accounts[0].tls: expected one of \"required\", \"optional\", "
      "\"disabled\", "
      "got \"off\"");
  EXPECT_EQ(errors_of("[[xmpp.accounts]]\njid = \"bob@example.org\"\npassword = \"pw\"\n"),
            "passerelle.toml:1:1: xmpp.accounts[0].person: this key is required here");
}

TEST(Schema, LinkedAimIcqAndMsnAccounts) {
  Config c = config_of(std::string(kPerson) +
                       "[oscar]\nenabled = true\n"
                       "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"Bob SN\"\n"
                       "password = \"pw\"\nperson = \"bob\"\n"
                       "[[oscar.accounts]]\nnetwork = \"icq\"\nlogin = \"123456\"\n"
                       "password = \"pw\"\nperson = \"bob\"\nlogin_method = \"password\"\n"
                       "[msn]\nlogin_url = \"http://127.0.0.1:8081/rdr/pprdr.asp\"\n"
                       "[[msn.accounts]]\nlogin = \"Bob@Hotmail.com\"\npassword = \"pw\"\n"
                       "person = \"bob\"\nsms_to_offline_contacts = false\n");
  ASSERT_EQ(c.oscar.accounts.size(), 2u);
  EXPECT_EQ(c.oscar.accounts[0].login, "bobsn");
  EXPECT_EQ(c.oscar.accounts[0].login_method, "md5");
  EXPECT_EQ(c.oscar.accounts[1].network, "icq");
  EXPECT_EQ(c.oscar.accounts[1].login_method, "password");
  ASSERT_EQ(c.msn.accounts.size(), 1u);
  EXPECT_EQ(c.msn.accounts[0].network, "msn");
  EXPECT_EQ(c.msn.accounts[0].login, "bob@hotmail.com");
  EXPECT_FALSE(c.msn.accounts[0].sms_to_offline_contacts);

  EXPECT_EQ(
      errors_of(std::string(kPerson) + "[[oscar.accounts]]\nnetwork = \"icq\"\nlogin = \"bobsn\"\n"
                                       "password = \"pw\"\nperson = \"bob\"\n"
                                       "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"BobSN\"\n"
                                       "person = \"bob\"\n"
                                       "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"bob sn\"\n"
                                       "password = \"pw\"\nperson = \"bob\"\n"),
      "passerelle.toml:6:9: oscar.accounts[0].login: 'bobsn' is not an ICQ number (UIN "
      "digits) (an AIM screen name or an ICQ number)\n"
      "passerelle.toml:9:1: oscar.accounts[1].password: a password (password or "
      "password_file) is required\n"
      "passerelle.toml:15:9: oscar.accounts[2].login: account \"aim:bobsn\" is already "
      "defined on line 11");
  EXPECT_EQ(errors_of("[msn]\nlogin_url = \"http://login.example.com/login2.srf\"\n"),
            "passerelle.toml:2:13: msn.login_url: secrets would cross the network in clear: "
            "use https:// (http:// is accepted only for 127.0.0.1, localhost or [::1])");
  EXPECT_EQ(errors_of("[msn]\nmax_version = \"MSNP13\"\n"),
            "passerelle.toml:2:15: msn.max_version: expected one of \"MSNP12\", \"MSNP11\", "
            "\"MSNP10\", \"MSNP9\", \"MSNP8\", got \"MSNP13\", did you mean 'MSNP12'?");
}

TEST(Schema, GatewayAccountsBelongToNoPersonAndNameWhoMayUseThem) {
  Config c = config_of(
      "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"Passerelle SMS\"\npassword = \"pw\"\n"
      "gateway = true\nallow = [\"Bob SN\", \"123456\"]\n"
      "[[msn.accounts]]\nlogin = \"gw@hotmail.com\"\npassword = \"pw\"\ngateway = true\n"
      "allow = [\"Carol@Hotmail.com\"]\n");
  ASSERT_EQ(c.oscar.accounts.size(), 1u);
  EXPECT_TRUE(c.oscar.accounts[0].gateway);
  EXPECT_EQ(c.oscar.accounts[0].person, "");
  EXPECT_EQ(c.oscar.accounts[0].allow, (std::vector<std::string>{"bobsn", "123456"}));
  EXPECT_EQ(c.msn.accounts[0].allow, (std::vector<std::string>{"carol@hotmail.com"}));

  EXPECT_EQ(
      errors_of(std::string(kPerson) +
                "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"gw\"\npassword = \"pw\"\n"
                "gateway = true\nperson = \"bob\"\nallow = [\"bobsn\"]\n"
                "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"gw2\"\npassword = \"pw\"\n"
                "gateway = true\n"
                "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"gw3\"\npassword = \"pw\"\n"
                "gateway = true\nallow = []\n"
                "[[oscar.accounts]]\nnetwork = \"aim\"\nlogin = \"bobsn\"\npassword = \"pw\"\n"
                "person = \"bob\"\nallow = [\"carolsn\"]\n"
                "[[msn.accounts]]\nlogin = \"gw@hotmail.com\"\npassword = \"pw\"\n"
                "gateway = true\nallow = [\"carol\", \"a@b.c\", \"A@b.c\"]\n"),
      "passerelle.toml:9:10: oscar.accounts[0].person: a gateway account belongs to no "
      "person: remove person, or set gateway = false\n"
      "passerelle.toml:15:11: oscar.accounts[1].gateway: a gateway account needs allow = "
      "[...]: the contacts who may write to phones through it (the bridge is no open relay)\n"
      "passerelle.toml:21:9: oscar.accounts[2].allow: a gateway account needs allow = [...]: "
      "the contacts who may write to phones through it (the bridge is no open relay)\n"
      "passerelle.toml:27:9: oscar.accounts[3].allow: allow applies to gateway accounts "
      "only (gateway = true)\n"
      "passerelle.toml:32:10: msn.accounts[0].allow[0]: 'carol' is not an MSN e-mail "
      "address (an MSN e-mail address)\n"
      "passerelle.toml:32:28: msn.accounts[0].allow[2]: \"a@b.c\" is listed twice (also at "
      "32:19)");
}

TEST(Schema, FilesMaxBytesHasABound) {
  EXPECT_EQ(config_of("[files]\nmax_bytes = 10737418240\n").files.max_bytes,
            std::int64_t{10} << 30);
  EXPECT_EQ(config_of("").files.max_bytes, std::int64_t{4} << 30);
  const auto e = errors_of("[files]\nmax_bytes = 1000\n");
  EXPECT_NE(e.find("passerelle.toml:2:13: files.max_bytes"), std::string::npos) << e;
}

TEST(Schema, HttpListenSyntax) {
  EXPECT_EQ(config_of("[http]\nlisten = \"[::1]:9000\"\n").http.listen, "[::1]:9000");
  EXPECT_EQ(errors_of("[http]\nlisten = \"::1:9000\"\n"),
            "passerelle.toml:2:10: http.listen: an IPv6 address goes in brackets, e.g. "
            "\"[::1]:8480\", got "
            "\"::1:9000\"");
  EXPECT_EQ(errors_of("[http]\nlisten = \"127.0.0.1:0\"\n"),
            "passerelle.toml:2:10: http.listen: expected a port from 1 to 65535 after ':', got "
            "\"127.0.0.1:0\"");
}

TEST(Schema, NonLoopbackHttpNeedsTokenAndTls) {
  EXPECT_EQ(errors_of("[http]\nlisten = \"0.0.0.0:8480\"\n"),
            "passerelle.toml:2:10: http.listen: \"0.0.0.0:8480\" is not a loopback address, so "
            "http.token_file, "
            "http.tls_cert_file and http.tls_key_file must all be set (missing: http.token_file, "
            "http.tls_cert_file, http.tls_key_file)");

  ScratchDir dir;
  dir.write("token", "t0k3n\n");
  dir.write("cert.pem", "cert");
  dir.write("key.pem", "key");
  const std::string base =
      "[http]\nlisten = \"[::]:8480\"\ntoken_file = \"token\"\ntls_cert_file = \"cert.pem\"\n";
  const std::string msg = errors_of(base, dir.file("p.toml"));
  EXPECT_NE(msg.find("(missing: http.tls_key_file)"), std::string::npos) << msg;

  Config c = config_of(base + "tls_key_file = \"key.pem\"\n", dir.file("p.toml"));
  EXPECT_EQ(c.http.token, "t0k3n");
  EXPECT_EQ(c.http.tls_cert_file, dir.file("cert.pem"));
  EXPECT_EQ(c.http.tls_key_file, dir.file("key.pem"));
}

TEST(Schema, TlsFilesMustExist) {
  EXPECT_EQ(errors_of("[http]\ntls_cert_file = \"/nonexistent/cert.pem\"\n"),
            "passerelle.toml:2:17: http.tls_cert_file: file '/nonexistent/cert.pem' does not exist "
            "or is not "
            "a regular file");
}

TEST(Schema, MsnLoginUrlIsHttpsToAnyHostOrHttpOnLoopback) {
  EXPECT_EQ(
      config_of("[msn]\nlogin_url = \"https://login.example.com/rdr/pprdr.asp\"\n").msn.login_url,
      "https://login.example.com/rdr/pprdr.asp");
  EXPECT_EQ(config_of("[msn]\nlogin_url = \"https://192.0.2.7:8443/login2.srf\"\n").msn.login_url,
            "https://192.0.2.7:8443/login2.srf");
  for (const char* host : {"127.0.0.1:8081", "localhost", "[::1]:8081"}) {
    const std::string url = std::string("http://") + host + "/rdr/pprdr.asp";
    EXPECT_EQ(config_of("[msn]\nlogin_url = \"" + url + "\"\n").msn.login_url, url);
  }
  EXPECT_EQ(errors_of("[msn]\nlogin_url = \"http://[2001:db8::1]:80/login2.srf\"\n"),
            "passerelle.toml:2:13: msn.login_url: secrets would cross the network in clear: "
            "use https:// (http:// is accepted only for 127.0.0.1, localhost or [::1])");
  EXPECT_EQ(errors_of("[msn]\nlogin_url = \"ftp://127.0.0.1/\"\n"),
            "passerelle.toml:2:13: msn.login_url: expected an https:// URL (http:// only for a "
            "server on loopback)");
}

TEST(Schema, MsnLoginCaFileMustBeAReadablePemFile) {
  EXPECT_EQ(Config().msn.login_ca_file, "");
  ScratchDir dir;
  dir.write("ca.pem", "# test CA\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            0644);
  EXPECT_EQ(config_of("[msn]\nlogin_ca_file = \"ca.pem\"\n", dir.file("p.toml")).msn.login_ca_file,
            dir.file("ca.pem"));
  EXPECT_EQ(config_of("[msn]\nlogin_ca_file = \"\"\n").msn.login_ca_file, "");

  const std::string missing = dir.file("nope.pem");
  EXPECT_EQ(errors_of("[msn]\nlogin_ca_file = \"" + missing + "\"\n"),
            "passerelle.toml:2:17: msn.login_ca_file: file '" + missing +
                "' does not exist or is not a regular file");
  EXPECT_EQ(errors_of("[msn]\nlogin_ca_file = \"" + dir.path().string() + "\"\n"),
            "passerelle.toml:2:17: msn.login_ca_file: file '" + dir.path().string() +
                "' does not exist or is not a regular file");
  const std::string key = dir.write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n");
  EXPECT_EQ(errors_of("[msn]\nlogin_ca_file = \"" + key + "\"\n"),
            "passerelle.toml:2:17: msn.login_ca_file: file '" + key +
                "' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  EXPECT_EQ(errors_of("[msn]\nlogin_ca_file = 1\n"),
            "passerelle.toml:2:17: msn.login_ca_file: expected a string, got 1");
}

// The same check serves http.tls_cert_file and http.tls_key_file. Root reads every file:
// then the parse runs in a child that gave up root.
TEST(Schema, UnreadableFileIsAnErrorNamingIt) {
  ScratchDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  const std::string locked = dir.write("locked.pem", "-----BEGIN CERTIFICATE-----\n", 0000);
  auto check = [&] {
    if (::geteuid() == 0 && ::setuid(65534) != 0) std::_Exit(3);
    const std::pair<std::string, std::string> cases[] = {
        {"[msn]\nlogin_ca_file", "passerelle.toml:2:17: msn.login_ca_file"},
        {"[http]\ntls_cert_file", "passerelle.toml:2:17: http.tls_cert_file"}};
    for (const auto& [key, where] : cases) {
      const auto r = parse_config(key + " = \"" + locked + "\"\n", "passerelle.toml");
      const std::string want = where + ": cannot read file '" + locked + "': Permission denied";
      if (r.ok() || r.error().message != want) {
        std::fprintf(stderr, "got: %s\nwant: %s\n", r.ok() ? "ok" : r.error().message.c_str(),
                     want.c_str());
        std::_Exit(1);
      }
    }
    std::_Exit(0);
  };
  EXPECT_EXIT(check(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace passerelle::config

namespace passerelle::config::testing {
namespace {

TEST(Schema, DurabilityChoices) {
  auto c = config_of("[store]\nsynchronous = \"normal\"\n[delivery]\non_unknown = \"fail\"\n");
  EXPECT_EQ(c.store.synchronous, "normal");
  EXPECT_EQ(c.delivery.on_unknown, "fail");
  const auto e =
      errors_of("[store]\nsynchronous = \"sometimes\"\n[delivery]\non_unknown = \"maybe\"\n");
  EXPECT_NE(e.find("passerelle.toml:2:15: store.synchronous"), std::string::npos) << e;
  EXPECT_NE(e.find("delivery.on_unknown"), std::string::npos) << e;
}

}  // namespace
}  // namespace passerelle::config::testing
