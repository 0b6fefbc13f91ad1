#pragma once
// Secrets at rest (DESIGN.md §8): the passwords of accounts that people register from
// their clients are stored sealed with AES-256-GCM, under a key kept in a file of its own
// (store.key_file), created at first start with mode 0600.
//
// A sealed value is "gcm1:" followed by the hex of nonce (12 bytes), ciphertext and tag
// (16 bytes). The context (the account's address) is authenticated with it, so a value
// copied onto another row does not open there.

#include <array>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace passerelle::store {

class SecretBox {
 public:
  static constexpr std::string_view kPrefix = "gcm1:";

  // Reads the key from `path` (64 hex digits, a newline allowed), or creates the file with
  // a new random key (mode 0600) when there is none. Refuses a key file that others may
  // read or write, or one that is not a key, saying what to do.
  static Result<SecretBox> load_or_create(const std::string& path);
  // A box with this key (tests and tools).
  explicit SecretBox(const std::array<unsigned char, 32>& key) : key_(key) {}

  Result<std::string> seal(std::string_view plain, std::string_view context) const;
  // Fails (invalid_input) for a value that is not sealed, is damaged, or was sealed under
  // another key or context.
  Result<std::string> open(std::string_view sealed, std::string_view context) const;
  static bool is_sealed(std::string_view value) { return value.starts_with(kPrefix); }

  bool created() const { return created_; }  // load_or_create made a new key file

 private:
  std::array<unsigned char, 32> key_{};
  bool created_ = false;
};

}  // namespace passerelle::store
