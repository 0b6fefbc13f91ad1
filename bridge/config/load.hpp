#pragma once
// Loading and checking passerelle.toml (DESIGN.md §7). Called at start-up and by
// `passerelle check-config`; blocking file I/O, no other side effects.

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/result.hpp"

namespace passerelle::config {

// The config file to use: `cli_value` (the --config option; empty when not given), else
// $PASSERELLE_CONFIG, else ./passerelle.toml. The error says which places were tried.
Result<std::string> find_config_path(std::string_view cli_value);

// Reads and checks the file at `path`. Relative *_file paths are taken from the file's
// directory.
Result<Config> load_config(const std::string& path);

// Checks `text` as if read from `name_for_errors`, which also sets the directory that
// relative *_file paths are resolved against. On failure, Error::message holds every
// problem found (up to 20), one per line, each "file:line:col: dotted.key: what is
// wrong"; secret values never appear in it. Warnings go to Config::warnings.
Result<Config> parse_config(std::string_view text, const std::string& name_for_errors);

// A human summary for `passerelle check-config`: sections, SMSCs, routes, people.
// Secrets appear only as "(set)" or "(not set)".
std::string describe(const Config& c);

}  // namespace passerelle::config
