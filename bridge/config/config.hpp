#pragma once
// The typed configuration (DESIGN.md §7). Field names follow the TOML keys of
// config/passerelle.example.toml; defaults here are the documented defaults.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace passerelle::config {

struct BridgeSection {
  std::string domain = "example.org";
  std::string default_country = "FR";
  bool allow_fixed_line = false;
  std::string data_dir = "var";
  // Threads running the network I/O, the router and the admin HTTP server (the store's
  // writer, XMPP and file work have threads of their own).
  int io_threads = 1;

  friend bool operator==(const BridgeSection&, const BridgeSection&) = default;
};

struct LogSection {
  std::string level = "info";
  std::string format = "text";  // "text" | "json"

  friend bool operator==(const LogSection&, const LogSection&) = default;
};

struct HttpSection {
  std::string listen = "127.0.0.1:8480";
  std::string token;          // from token_file; never logged
  std::string tls_cert_file;  // path, resolved against the config file's directory
  std::string tls_key_file;   // path, resolved against the config file's directory

  friend bool operator==(const HttpSection&, const HttpSection&) = default;
};

// Files the bridge shares with other networks as links, served by the admin HTTP server at
// /files/{token}/{name} (a file from an RCS phone, shown to an XMPP user as a XEP-0066 link
// and to an SMS user as a short link).
struct FilesSection {
  std::string dir = "files";  // resolved against bridge.data_dir by the loader
  // How the other networks' users reach /files/ (a reverse proxy, for users elsewhere);
  // "": http(s)://<http.listen>, filled in by the loader.
  std::string public_url;
  int ttl_s = 604800;  // a link works this long (7 days); the file is deleted after
  int max_files = 100000;
  // Room the shared files and the files being fetched may take together, in bytes.
  std::int64_t max_bytes = std::int64_t{4} << 30;  // 4 GiB

  friend bool operator==(const FilesSection&, const FilesSection&) = default;
};

struct StoreSection {
  std::string path = "passerelle.db";  // resolved against bridge.data_dir by the loader
  int batch_max = 512;
  int batch_delay_ms = 0;
  std::string synchronous = "full";  // "full" | "normal"
  // Key of the passwords stored for registered accounts; resolved against bridge.data_dir.
  std::string key_file = "secret.key";

  friend bool operator==(const StoreSection&, const StoreSection&) = default;
};

struct DeliverySection {
  int retry_initial_ms = 1000;
  int retry_max_ms = 300000;
  int max_attempts = 8;
  int expire_after_s = 86400;
  std::string on_unknown = "resend";  // "resend" | "fail"

  friend bool operator==(const DeliverySection&, const DeliverySection&) = default;
};

struct AccessSection {
  std::vector<std::string> allow_jids;  // bare JIDs, lower-cased
  std::vector<std::string> allow_domains = {"example.org"};

  friend bool operator==(const AccessSection&, const AccessSection&) = default;
};

struct XmppAccount {
  std::string jid;
  std::string password;  // from password or password_file; never logged
  std::string host;      // empty: the JID's domain
  int port = 5222;
  std::string resource = "passerelle";
  std::string person;
  std::string tls = "required";  // "required" | "optional" | "disabled"

  friend bool operator==(const XmppAccount&, const XmppAccount&) = default;
};

struct XmppSection {
  bool enabled = true;
  std::string component_host = "127.0.0.1";
  int component_port = 5347;
  std::string secret = "change-me";  // from secret or secret_file; never logged
  std::vector<std::string> networks = {"sms"};
  int reconnect_initial_ms = 1000;
  int reconnect_max_ms = 60000;
  std::vector<XmppAccount> accounts;

  friend bool operator==(const XmppSection&, const XmppSection&) = default;
};

struct Smsc {
  std::string name;
  std::string host = "127.0.0.1";
  int port = 2775;
  std::string system_id;
  std::string password;  // never logged
  std::string system_type;
  std::string bind = "transceiver";  // "transceiver" | "transmitter+receiver"
  std::vector<std::string> prefixes = {"+"};
  int window = 10;
  double throughput = 50;
  int enquire_link_s = 30;
  int response_timeout_s = 10;
  // A part of a long SMS is answered once the whole message is stored, waiting at most
  // this long for the other parts; 0 answers each part at once.
  int part_hold_ms = 250;
  int reconnect_initial_ms = 1000;
  int reconnect_max_ms = 60000;
  bool delivery_receipts = true;
  std::map<std::string, std::int64_t> tariff = {{"+", 5}};  // prefix -> price per segment

  friend bool operator==(const Smsc&, const Smsc&) = default;
};

struct SmsSection {
  bool enabled = true;
  std::vector<std::string> sender_numbers = {"+33700000001"};  // E.164 after loading
  bool prefix_sender = true;
  int reassembly_timeout_s = 120;
  std::int64_t default_monthly_cap = 1000;
  std::string help_text =
      "passerelle: reply with @network:id message to choose who gets it, e.g. "
      "@xmpp:alice@example.org hello. STOP to stop, START to resume.";
  std::vector<Smsc> smsc;

  friend bool operator==(const SmsSection&, const SmsSection&) = default;
};

// An AIM, ICQ or MSN account passerelle logs into for a person (DESIGN.md §3, linked
// accounts). The person's XMPP client sees its contacts on aim./icq./msn.<domain>.
struct LegacyAccount {
  std::string network;   // "aim" | "icq" | "msn"
  std::string login;     // canonical: AIM screen name lower case without spaces, ICQ UIN,
                         // MSN e-mail lower case
  std::string password;  // from password or password_file; never logged
  std::string person;    // the [[people]] entry it belongs to; empty for a gateway
  std::string host;      // empty: the section's
  int port = 0;          // 0: the section's
  // OSCAR: "md5" (BUCP, family 0x0017) or "password" (FLAP channel 1, older ICQ servers).
  std::string login_method = "md5";
  // MSN: a contact who is offline gets the message by SMS when a [[people]] entry links
  // that contact's address to a phone (the original MSN-to-SMS service).
  bool sms_to_offline_contacts = true;
  // A gateway account is the bridge's own, not a person's: the contacts in `allow` write
  // "+33611111111 hello" to it to reach any phone (RCS where the number has it, else
  // SMS), and each phone's answers come back from it, prefixed with the number.
  bool gateway = false;
  std::vector<std::string> allow;  // canonical ids on the account's network

  friend bool operator==(const LegacyAccount&, const LegacyAccount&) = default;
};

struct OscarSection {
  bool enabled = false;
  std::string host = "127.0.0.1";  // the login (BUCP) server
  int port = 5190;
  int reconnect_initial_ms = 2000;
  int reconnect_max_ms = 300000;
  int login_interval_ms = 100;  // between two account logins (servers rate-limit logins)
  std::vector<LegacyAccount> accounts;

  friend bool operator==(const OscarSection&, const OscarSection&) = default;
};

struct MsnSection {
  bool enabled = false;
  std::string host = "127.0.0.1";  // the dispatch/notification server
  int port = 1863;
  // Where the Passport (Tweener) ticket comes from: the nexus (answers PassportURLs) or
  // the login page itself. http:// is accepted for test servers on loopback only.
  std::string login_url = "https://127.0.0.1/rdr/pprdr.asp";
  // PEM CA certificates trusted for the login server besides the system's ("": only the
  // system's); path, resolved against the config file's directory.
  std::string login_ca_file;
  std::string max_version = "MSNP12";  // offered down to MSNP8
  int switchboard_idle_s = 300;        // a chat nobody used this long is closed
  int reconnect_initial_ms = 2000;
  int reconnect_max_ms = 300000;
  int login_interval_ms = 100;
  std::vector<LegacyAccount> accounts;

  friend bool operator==(const MsnSection&, const MsnSection&) = default;
};

// One carrier's RCS platform (GSMA MaaP chatbot API): the bridge is a chatbot of that
// carrier; phones of the number ranges it serves see its messages from the bot.
struct RcsPlatform {
  std::string name;
  std::string api_url;  // "{base}{root}/bot/v1"; http:// only for loopback test platforms
  std::string bot_id;
  // More chatbots of the bridge on this platform, used like a pool of SMS sender numbers: a
  // phone talking with several people through the bridge sees one chatbot per person, so
  // its replies need no "@" to find their conversation. Same credentials as bot_id; each
  // gets its events at webhook_path + "/" + its percent-encoded id.
  std::vector<std::string> pool_bots;
  std::string token;          // static bearer token (token, token_file or ${ENV}); never logged
  std::string client_secret;  // or tokens from {root}/oauth2/v1/token with this secret
  std::string ca_file;        // PEM CAs trusted besides the system's; resolved like other paths
  std::string webhook_path;   // where the platform POSTs events; default "/rcs/<name>"
  // The Authorization header the platform sends with every event, verbatim ("Bearer ...").
  // Empty only with webhook_unauthenticated = true.
  std::string webhook_token;
  bool webhook_unauthenticated = false;
  std::vector<std::string> ranges;                   // number prefixes it serves (E.164 "+...")
  std::int64_t max_file_size = 100LL * 1024 * 1024;  // bytes, as the carrier documents
  int timeout_ms = 10000;                            // per API request
  int max_connections = 4;                           // keep-alive connections to the platform

  // Where the events of pool bot `bot` come: webhook_path + "/" + its percent-encoded id
  // (the one rule for the configuration's collision check and the webhook server's routes).
  std::string pool_webhook_path(const std::string& bot) const;

  friend bool operator==(const RcsPlatform&, const RcsPlatform&) = default;
};

struct RcsSection {
  bool enabled = false;
  std::string webhook_listen = "127.0.0.1:8481";
  std::string webhook_tls_cert_file, webhook_tls_key_file;
  std::int64_t webhook_max_body = 256 * 1024;
  int capability_ttl_s = 86400;  // how long a number's RCS capability is trusted
  // A message not delivered this long after the platform took it is revoked and sent by
  // SMS instead (once). 0: never.
  int fallback_after_s = 300;
  // A phone may start a conversation with another phone by writing "@rcs:+336... text" to
  // its carrier's chatbot: RCS through the other phone's carrier where it can, else SMS
  // (charged to the writing phone's number, within sms.default_monthly_cap). Off: phones
  // only answer conversations someone on another network started.
  bool phones_may_start = false;
  // Number portability: a CSV of "number,platform" lines that override the ranges; reloaded
  // when the file changes. "" for none.
  std::string portability_file;
  std::vector<RcsPlatform> platforms;

  friend bool operator==(const RcsSection&, const RcsSection&) = default;
};

struct PersonEntry {
  std::string name;
  std::string phone;  // E.164 after loading
  bool sms_fallback = true;
  std::int64_t monthly_cap = 0;
  std::vector<std::string> addresses;  // "network:id"

  friend bool operator==(const PersonEntry&, const PersonEntry&) = default;
};

struct Config {
  std::string source_path;  // the file it was loaded from
  BridgeSection bridge;
  LogSection log;
  HttpSection http;
  StoreSection store;
  FilesSection files;
  DeliverySection delivery;
  AccessSection access;
  XmppSection xmpp;
  SmsSection sms;
  OscarSection oscar;
  MsnSection msn;
  RcsSection rcs;
  std::vector<PersonEntry> people;
  // Problems that do not stop the bridge (a world-readable secret file, ...), each
  // "file:line:col: key: text". Never contains a secret.
  std::vector<std::string> warnings;

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace passerelle::config
