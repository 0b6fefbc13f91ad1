#pragma once
// Reading secrets from files. Errors and warnings name the file, never its content.

#include <string>

#include "core/result.hpp"

namespace passerelle::config {

// The first line of `path`, without its trailing "\r\n" / "\n". Errors: missing,
// unreadable, not a regular file, or an empty first line.
Result<std::string> read_secret_file(const std::string& path);

// True when users other than the owner and group may read `path` (mode o+r).
bool is_world_readable(const std::string& path);

}  // namespace passerelle::config
