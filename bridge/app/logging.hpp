#pragma once
#include <string>

#include "core/result.hpp"

namespace passerelle {

// Sets up the default logger: level ("trace".."error") and format ("text" or "json":
// one JSON object per line with ts, level, logger, msg). Log lines never carry secrets;
// message bodies appear at debug level only.
Status setup_logging(const std::string& level, const std::string& format);

}  // namespace passerelle
