#pragma once
// Internal to the loader: the schema, as code. Each function reads its sections from the
// document's root table into `c`, declaring every valid key (so that the rest are
// reported as unknown) and checking types, ranges and cross-references.

#include <string>

#include "config/config.hpp"
#include "config/reader.hpp"

namespace passerelle::config::detail {

// [bridge] [log] [http] [store] [delivery] [access]
void read_general(Reader& root, Config& c);
// [[people]] [xmpp] [[xmpp.accounts]] [sms] [[sms.smsc]]
void read_networks(Reader& root, Config& c);
// [oscar] [[oscar.accounts]] [msn] [[msn.accounts]] (after read_networks: they name people)
void read_legacy(Reader& root, Config& c);
// [rcs] [[rcs.platform]]
void read_rcs(Reader r, RcsSection& s);

// Shared checks, each a Check (config/reader.hpp).
std::string check_non_empty(std::string& v);
std::string check_host(std::string& v);
std::string check_e164(std::string& v);
std::string check_bare_jid(std::string& v);  // localpart@domain, lower-cased
std::string check_listen(std::string& v);    // "host:port", "[v6]:port"

// A `*_file` key naming a file that must exist and be readable now: check-config is where
// a wrong path should show up. True when set and readable ("" when unset: false).
bool read_existing_file(Reader& r, const char* key, std::string& out);

// An https:// URL of a service the bridge logs into (http:// only for a loopback host:
// test servers), and a file of PEM CA certificates trusted for it besides the system's.
std::string check_service_url(std::string& v);
void read_ca_file(Reader& r, const char* key, std::string& out);

// Error at `max_key` (or `min_key` if only that one is in the file) when max < min.
void check_order(Reader& r, const char* min_key, int min, const char* max_key, int max);

}  // namespace passerelle::config::detail
