#pragma once
// Errors as values on the data path (STYLE.md habit 6). An Error says what failed, in
// words a user can act on, and how the caller should treat it.

#include <string>
#include <utility>
#include <variant>

namespace passerelle {

enum class Errc {
  invalid_input,    // malformed bytes, address, number, config value
  not_allowed,      // policy: forbidden user, STOP list, fixed-line number
  limit_exceeded,   // spending cap, size limits, queue full
  not_found,        // no route, no such conversation
  unavailable,      // peer down, not bound, throttled; retry later
  unknown_outcome,  // sent but no answer: must not be resent silently
  internal,
};

struct Error {
  Errc code = Errc::internal;
  std::string message;      // one line, says what to do where it can
  bool retryable = false;   // a later attempt may succeed
  int protocol_status = 0;  // the network's own status (SMPP command_status, ...), 0 if none

  static Error invalid(std::string m) { return {Errc::invalid_input, std::move(m), false, 0}; }
  static Error forbidden(std::string m) { return {Errc::not_allowed, std::move(m), false, 0}; }
  static Error limit(std::string m) { return {Errc::limit_exceeded, std::move(m), false, 0}; }
  static Error missing(std::string m) { return {Errc::not_found, std::move(m), false, 0}; }
  static Error transient(std::string m, int status = 0) {
    return {Errc::unavailable, std::move(m), true, status};
  }
};

const char* errc_name(Errc c);

// A minimal expected<T, Error> (C++20 has no std::expected).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace passerelle
