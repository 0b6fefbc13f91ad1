#pragma once
// Internal to the loader: typed access to one TOML table, with every problem collected
// as "file:line:col: dotted.key: message" instead of stopping at the first.

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/values.hpp"

namespace passerelle::config::detail {

// What one parse collects, shared by all the Readers of that parse.
struct Context {
  std::string file;                  // the name used in messages
  std::filesystem::path config_dir;  // *_file paths are relative to this
  EnvLookup env;

  struct Entry {
    std::uint32_t line = 0, column = 0;  // 0: no position (a default, not in the file)
    std::string text;
  };
  std::vector<Entry> errors;
  std::vector<Entry> warnings;

  void error(const toml::source_region* where, std::string_view key, std::string_view message);
  void warn(const toml::source_region* where, std::string_view key, std::string_view message);
  // Errors sorted by position, at most `limit` of them, one per line.
  std::string joined_errors(std::size_t limit = 20) const;
  // Warnings sorted by position.
  std::vector<std::string> sorted_warnings() const;
};

// Normalises or rejects a string value: returns "" if `value` is fine (possibly
// rewritten), else what is wrong with it.
using Check = std::function<std::string(std::string& value)>;

// A view of one TOML table at a dotted key path ("sms.smsc[0]"). Each accessor
// declares its key valid here; finish() reports every other key of the table as
// unknown, with a suggestion. A missing key leaves the output alone, so the defaults
// of config.hpp stand. Accessors return true when the key was present and valid.
class Reader {
 public:
  Reader(Context& ctx, const toml::table* table, std::string path);

  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const;
  bool present() const { return table_ != nullptr; }
  bool has(std::string_view key) const;
  // The key's node (declaring the key), or null when absent.
  const toml::node* node(std::string_view key);

  bool boolean(std::string_view key, bool& out);
  bool integer(std::string_view key, int& out, std::int64_t lo, std::int64_t hi);
  bool integer(std::string_view key, std::int64_t& out, std::int64_t lo, std::int64_t hi);
  // An integer or a float, lo < value <= hi.
  bool number_above(std::string_view key, double& out, double lo, double hi);
  bool string(std::string_view key, std::string& out, const Check& check = {});
  bool choice(std::string_view key, std::string& out, const std::vector<std::string>& allowed);
  // Each element checked on its own; `unique` rejects repeated (normalised) elements.
  bool strings(std::string_view key, std::vector<std::string>& out, const Check& check = {},
               bool unique = false);
  // A `*_file` path, resolved against the config file's directory; "" when unset.
  bool file_path(std::string_view key, std::string& out);
  // The secret `key` given inline (when inline_ok) or read from `key`_file. The value is
  // never echoed in a message.
  bool secret(std::string_view key, std::string& out, bool inline_ok = true);

  // A sub-table; when absent, a Reader over nothing (all defaults).
  Reader table(std::string_view key);
  // An array of tables ([[key]]); empty when absent.
  std::vector<Reader> tables(std::string_view key);

  // Each entry of a free-form table, whose keys are data rather than schema (tariffs):
  // f(key, value, dotted key path). Such a table needs no finish().
  void entries(
      const std::function<void(const toml::key&, const toml::node&, const std::string&)>& f) const;
  // Error at an arbitrary position, e.g. a key reported through entries().
  void error_at(const toml::source_region& where, std::string_view full_key,
                std::string_view message);

  // Error unless `key` is present.
  void require(std::string_view key);
  // Error at `key` (or at this table when the key is absent).
  void error(std::string_view key, std::string_view message);
  void warn(std::string_view key, std::string_view message);
  // Reports the keys no accessor asked for.
  void finish();

 private:
  bool integer64(std::string_view key, std::int64_t& out, std::int64_t lo, std::int64_t hi);
  // The expanded string value of `n`, or an error already reported.
  std::optional<std::string> text(const toml::node& n, const std::string& key, bool secret);
  const toml::source_region* where() const;

  Context& ctx_;
  const toml::table* table_;
  std::string path_;
  std::vector<std::string> known_;
};

// "an integer", "the string \"ten\"", ... for "got ..." in messages; `secret` hides values.
std::string describe_node(const toml::node& n, bool secret = false);

}  // namespace passerelle::config::detail
