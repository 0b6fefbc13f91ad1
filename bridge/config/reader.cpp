#include "config/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>

#include "config/secrets.hpp"
#include "config/suggest.hpp"

namespace passerelle::config::detail {
namespace {

std::string quote_key(std::string_view k) {
  const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
  if (bare) return std::string(k);
  std::string out = "\"";
  for (char c : k) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string shorten(std::string_view s) {
  return s.size() <= 60 ? std::string(s) : std::string(s.substr(0, 57)) + "...";
}

std::string line_of(const toml::source_region* where, const std::string& file) {
  if (where == nullptr || where->begin.line == 0) return file;
  return fmt::format("{}:{}:{}", file, where->begin.line, where->begin.column);
}

std::string range_text(std::int64_t lo, std::int64_t hi) {
  if (hi >= INT_MAX) return fmt::format("an integer of at least {}", lo);
  return fmt::format("an integer from {} to {}", lo, hi);
}

}  // namespace

std::string describe_node(const toml::node& n, bool secret) {
  switch (n.type()) {
    case toml::node_type::string:
      return secret ? "a string" : fmt::format("\"{}\"", shorten(n.as_string()->get()));
    case toml::node_type::integer:
      return secret ? "an integer" : fmt::format("{}", n.as_integer()->get());
    case toml::node_type::floating_point:
      return secret ? "a float" : fmt::format("{}", n.as_floating_point()->get());
    case toml::node_type::boolean:
      return secret ? "a boolean" : (n.as_boolean()->get() ? "true" : "false");
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

namespace {

Context::Entry entry(const toml::source_region* where, const std::string& file,
                     std::string_view key, std::string_view message) {
  Context::Entry e;
  if (where != nullptr) {
    e.line = where->begin.line;
    e.column = where->begin.column;
  }
  e.text = fmt::format("{}: {}: {}", line_of(where, file), key, message);
  return e;
}

std::vector<const Context::Entry*> by_position(const std::vector<Context::Entry>& entries) {
  std::vector<const Context::Entry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Context::Entry* a, const Context::Entry* b) {
                     return std::tie(a->line, a->column) < std::tie(b->line, b->column);
                   });
  return sorted;
}

}  // namespace

void Context::error(const toml::source_region* where, std::string_view key,
                    std::string_view message) {
  errors.push_back(entry(where, file, key, message));
}

void Context::warn(const toml::source_region* where, std::string_view key,
                   std::string_view message) {
  warnings.push_back(entry(where, file, key, message));
}

std::vector<std::string> Context::sorted_warnings() const {
  std::vector<std::string> out;
  for (const Entry* e : by_position(warnings)) out.push_back(e->text);
  return out;
}

std::string Context::joined_errors(std::size_t limit) const {
  const auto sorted = by_position(errors);
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < limit; ++i) {
    if (i) out += '\n';
    out += sorted[i]->text;
  }
  if (sorted.size() > limit) out += fmt::format("\n... and {} more errors", sorted.size() - limit);
  return out;
}

Reader::Reader(Context& ctx, const toml::table* table, std::string path)
    : ctx_(ctx), table_(table), path_(std::move(path)) {}

std::string Reader::key_path(std::string_view key) const {
  return path_.empty() ? quote_key(key) : path_ + "." + quote_key(key);
}

bool Reader::has(std::string_view key) const {
  return table_ != nullptr && table_->contains(key);
}

const toml::node* Reader::node(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return table_ == nullptr ? nullptr : table_->get(key);
}

const toml::source_region* Reader::where() const {
  return table_ == nullptr ? nullptr : &table_->source();
}

void Reader::error(std::string_view key, std::string_view message) {
  const toml::node* n = table_ == nullptr ? nullptr : table_->get(key);
  ctx_.error(n != nullptr ? &n->source() : where(), key_path(key), message);
}

void Reader::warn(std::string_view key, std::string_view message) {
  const toml::node* n = table_ == nullptr ? nullptr : table_->get(key);
  ctx_.warn(n != nullptr ? &n->source() : where(), key_path(key), message);
}

void Reader::entries(
    const std::function<void(const toml::key&, const toml::node&, const std::string&)>& f) const {
  if (table_ == nullptr) return;
  for (const auto& [k, v] : *table_) f(k, v, key_path(k.str()));
}

void Reader::error_at(const toml::source_region& where, std::string_view full_key,
                      std::string_view message) {
  ctx_.error(&where, full_key, message);
}

void Reader::require(std::string_view key) {
  node(key);
  if (!has(key)) error(key, "this key is required here");
}

bool Reader::boolean(std::string_view key, bool& out) {
  const toml::node* n = node(key);
  if (n == nullptr) return false;
  if (const auto* b = n->as_boolean()) {
    out = b->get();
    return true;
  }
  error(key, "expected true or false, got " + describe_node(*n));
  return false;
}

bool Reader::integer64(std::string_view key, std::int64_t& out, std::int64_t lo, std::int64_t hi) {
  const toml::node* n = node(key);
  if (n == nullptr) return false;
  const auto* i = n->as_integer();
  if (i == nullptr || i->get() < lo || i->get() > hi) {
    error(key, "expected " + range_text(lo, hi) + ", got " + describe_node(*n));
    return false;
  }
  out = i->get();
  return true;
}

bool Reader::integer(std::string_view key, int& out, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  if (!integer64(key, v, std::max<std::int64_t>(lo, INT_MIN), std::min<std::int64_t>(hi, INT_MAX)))
    return false;
  out = static_cast<int>(v);
  return true;
}

bool Reader::integer(std::string_view key, std::int64_t& out, std::int64_t lo, std::int64_t hi) {
  return integer64(key, out, lo, hi);
}

bool Reader::number_above(std::string_view key, double& out, double lo, double hi) {
  const toml::node* n = node(key);
  if (n == nullptr) return false;
  std::optional<double> v;
  if (const auto* i = n->as_integer()) v = static_cast<double>(i->get());
  if (const auto* f = n->as_floating_point()) v = f->get();
  if (!v || !std::isfinite(*v) || *v <= lo || *v > hi) {
    error(key, fmt::format("expected a number greater than {} and at most {}, got {}", lo, hi,
                           describe_node(*n)));
    return false;
  }
  out = *v;
  return true;
}

std::optional<std::string> Reader::text(const toml::node& n, const std::string& key, bool secret) {
  const auto* s = n.as_string();
  if (s == nullptr) {
    ctx_.error(&n.source(), key, "expected a string, got " + describe_node(n, secret));
    return std::nullopt;
  }
  auto expanded = expand_env(s->get(), ctx_.env);
  if (!expanded) {
    ctx_.error(&n.source(), key, expanded.error().message);
    return std::nullopt;
  }
  return std::move(expanded).value();
}

bool Reader::string(std::string_view key, std::string& out, const Check& check) {
  const toml::node* n = node(key);
  if (n == nullptr) return false;
  auto v = text(*n, key_path(key), false);
  if (!v) return false;
  if (check) {
    if (auto problem = check(*v); !problem.empty()) {
      error(key, problem);
      return false;
    }
  }
  out = std::move(*v);
  return true;
}

bool Reader::choice(std::string_view key, std::string& out,
                    const std::vector<std::string>& allowed) {
  return string(key, out, [&](std::string& v) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return {};
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
    return fmt::format("expected one of {}, got \"{}\"{}", list, shorten(v),
                       did_you_mean(v, allowed));
  });
}

bool Reader::strings(std::string_view key, std::vector<std::string>& out, const Check& check,
                     bool unique) {
  const toml::node* n = node(key);
  if (n == nullptr) return false;
  const auto* arr = n->as_array();
  if (arr == nullptr) {
    error(key, "expected an array of strings, got " + describe_node(*n));
    return false;
  }
  std::vector<std::string> result;
  std::map<std::string, toml::source_position> seen;  // value -> its first appearance
  bool ok = true;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    const std::string el_key = fmt::format("{}[{}]", key_path(key), i);
    auto v = text(el, el_key, false);
    if (!v) {
      ok = false;
      continue;
    }
    if (check) {
      if (auto problem = check(*v); !problem.empty()) {
        ctx_.error(&el.source(), el_key, problem);
        ok = false;
        continue;
      }
    }
    if (unique) {
      auto [it, fresh] = seen.emplace(*v, el.source().begin);
      if (!fresh) {
        ctx_.error(&el.source(), el_key,
                   fmt::format("\"{}\" is listed twice (also at {}:{})", shorten(*v),
                               it->second.line, it->second.column));
        ok = false;
        continue;
      }
    }
    result.push_back(std::move(*v));
  }
  if (ok) out = std::move(result);
  return ok;
}

bool Reader::file_path(std::string_view key, std::string& out) {
  const toml::node* n = node(key);
  if (n == nullptr) return false;
  auto v = text(*n, key_path(key), false);
  if (!v) return false;
  std::filesystem::path p(*v);
  if (!v->empty() && p.is_relative() && !ctx_.config_dir.empty()) p = ctx_.config_dir / p;
  out = p.string();
  return true;
}

bool Reader::secret(std::string_view key, std::string& out, bool inline_ok) {
  const std::string file_key = std::string(key) + "_file";
  node(file_key);  // declared even if the inline value turns out wrong
  std::optional<std::string> inline_value;
  if (inline_ok) {
    if (const toml::node* n = node(key)) {
      inline_value = text(*n, key_path(key), true);
      if (!inline_value) return false;
    }
  }
  std::string path;
  if (!file_path(file_key, path) && has(file_key)) return false;
  if (path.empty()) {
    if (inline_value) out = std::move(*inline_value);
    return inline_value.has_value();
  }
  if (inline_value && !inline_value->empty()) {
    error(file_key,
          fmt::format("both {} and {} are set; keep only one", key_path(key), key_path(file_key)));
    return false;
  }
  auto content = read_secret_file(path);
  if (!content) {
    error(file_key, content.error().message);
    return false;
  }
  if (is_world_readable(path))
    warn(file_key, fmt::format("secret file '{}' is readable by every user; chmod o-r it", path));
  out = std::move(content).value();
  return true;
}

Reader Reader::table(std::string_view key) {
  const toml::node* n = node(key);
  if (n != nullptr && !n->is_table()) {
    error(key, "expected a table ([" + key_path(key) + "]), got " + describe_node(*n));
    n = nullptr;
  }
  return Reader(ctx_, n == nullptr ? nullptr : n->as_table(), key_path(key));
}

std::vector<Reader> Reader::tables(std::string_view key) {
  std::vector<Reader> out;
  const toml::node* n = node(key);
  if (n == nullptr) return out;
  const auto* arr = n->as_array();
  if (arr == nullptr || (!arr->empty() && !arr->is_array_of_tables())) {
    error(key, "expected tables ([[" + key_path(key) + "]]), got " + describe_node(*n));
    return out;
  }
  for (std::size_t i = 0; i < arr->size(); ++i)
    out.emplace_back(ctx_, arr->get(i)->as_table(), fmt::format("{}[{}]", key_path(key), i));
  return out;
}

void Reader::finish() {
  if (table_ == nullptr) return;
  for (const auto& [k, v] : *table_) {
    if (std::find(known_.begin(), known_.end(), k.str()) != known_.end()) continue;
    const bool section = v.is_table() || v.is_array_of_tables();
    ctx_.error(
        &k.source(), key_path(k.str()),
        std::string(section ? "unknown section" : "unknown key") + did_you_mean(k.str(), known_));
  }
}

}  // namespace passerelle::config::detail
