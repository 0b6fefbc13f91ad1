#pragma once
// Framing an MSNP byte stream into commands, in the manner of Beast's basic_parser::put:
// decode() takes what is there, returns one command (with its payload) or NeedMore, and
// says how many bytes it used. Nothing here reads a socket, blocks or throws.
//
// Contract for the session layer:
//   - one decoder per connection and direction (a client decodes Grammar::server(v));
//     after VER settles the version, set_grammar() switches the verb rules;
//   - the decoder holds at most one partial line (<= max_line + 2 bytes) or one partial
//     payload (<= max_payload bytes), so memory per connection is bounded by Limits;
//   - every DecodeError is fatal: the stream cannot be resynchronised (a lost byte count
//     means we no longer know where the next line starts). Log it and close the
//     connection; decode() keeps returning the same error until reset().
//
//   while (!in.empty()) {
//     auto step = decoder.decode(in);
//     in.remove_prefix(step.consumed);
//     if (auto* cmd = std::get_if<Command>(&step.outcome)) handle(std::move(*cmd));
//     else if (std::holds_alternative<DecodeError>(step.outcome)) { close(); break; }
//   }

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "msn/codec/command.hpp"

namespace passerelle::msn {

struct DecodeError {
  DecodeErrc code = DecodeErrc::bad_verb;
  std::string message;
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

struct NeedMore {
  friend bool operator==(const NeedMore&, const NeedMore&) = default;
};

using DecodeOutcome = std::variant<NeedMore, Command, DecodeError>;

struct DecodeStep {
  std::size_t consumed = 0;  // bytes taken from the input
  DecodeOutcome outcome;
};

class Decoder {
 public:
  explicit Decoder(Grammar grammar, Limits limits = {}) : grammar_(grammar), limits_(limits) {}

  // Consumes input up to the end of one command and returns it, or consumes all of it and
  // returns NeedMore. A command whose line and payload are both inside `input` is parsed
  // without copying the input into the decoder's buffer.
  DecodeStep decode(std::string_view input);

  void set_grammar(Grammar g) { grammar_ = g; }
  const Grammar& grammar() const { return grammar_; }
  const Limits& limits() const { return limits_; }
  void reset();
  std::size_t buffered() const { return line_.size() + (pending_ ? pending_->payload->size() : 0); }

 private:
  DecodeStep fail(std::size_t used, DecodeErrc code, std::string message);
  // Parses a complete line (without LF); on success either returns the command or starts
  // reading its payload from `after` (the input that follows the LF).
  DecodeStep on_line(std::string_view line_with_cr, std::string_view after, std::size_t used);
  DecodeStep read_payload(std::string_view input, std::size_t used);

  Grammar grammar_;
  Limits limits_;
  std::string line_;                // a partial line (no LF yet)
  std::optional<Command> pending_;  // a command waiting for its payload bytes
  std::size_t payload_left_ = 0;
  std::optional<DecodeError> fatal_;
};

}  // namespace passerelle::msn
