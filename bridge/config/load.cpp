#include "config/load.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/reader.hpp"
#include "config/schema.hpp"

namespace passerelle::config {
namespace {

std::string syntax_error(const std::string& name, const toml::source_region& where,
                         std::string_view what) {
  return fmt::format("{}:{}:{}: TOML syntax error: {}", name, where.begin.line, where.begin.column,
                     what);
}

}  // namespace

Result<std::string> find_config_path(std::string_view cli_value) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!cli_value.empty()) {
    if (!fs::exists(cli_value, ec))
      return Error::missing(
          fmt::format("config file '{}' (given with --config) does not exist", cli_value));
    return std::string(cli_value);
  }
  if (const auto env = process_env("PASSERELLE_CONFIG"); env && !env->empty()) {
    if (!fs::exists(*env, ec))
      return Error::missing(
          fmt::format("config file '{}' (from $PASSERELLE_CONFIG) does not exist", *env));
    return *env;
  }
  if (fs::exists("passerelle.toml", ec)) return std::string("./passerelle.toml");
  return Error::missing(
      "no configuration file: --config was not given, $PASSERELLE_CONFIG is not set, and "
      "./passerelle.toml does not exist (start from config/passerelle.example.toml)");
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::missing(
        fmt::format("cannot open config file '{}': {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error::invalid(fmt::format("cannot read config file '{}'", path));
  return parse_config(text.str(), path);
}

Result<Config> parse_config(std::string_view text, const std::string& name_for_errors) {
  // toml++ was built with exceptions (Debian's libtomlplusplus exports only the
  // toml::v3::ex ABI); the other branch keeps this compiling if that ever changes.
#if TOML_EXCEPTIONS
  toml::table doc;
  try {
    doc = toml::parse(text, name_for_errors);
  } catch (const toml::parse_error& e) {
    return Error::invalid(syntax_error(name_for_errors, e.source(), e.description()));
  }
#else
  toml::parse_result parsed = toml::parse(text, name_for_errors);
  if (!parsed)
    return Error::invalid(
        syntax_error(name_for_errors, parsed.error().source(), parsed.error().description()));
  toml::table doc = std::move(parsed).table();
#endif

  detail::Context ctx;
  ctx.file = name_for_errors;
  ctx.config_dir = std::filesystem::path(name_for_errors).parent_path();
  ctx.env = process_env;

  Config c;
  c.source_path = name_for_errors;
  detail::Reader root(ctx, &doc, "");
  detail::read_general(root, c);
  detail::read_networks(root, c);
  detail::read_legacy(root, c);
  detail::read_rcs(root.table("rcs"), c.rcs);
  root.finish();
  if (!ctx.errors.empty()) return Error::invalid(ctx.joined_errors());
  c.warnings = ctx.sorted_warnings();
  return c;
}

}  // namespace passerelle::config
