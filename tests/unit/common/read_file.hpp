#pragma once
// The whole content of a file, or "" when it cannot be read.

#include <fstream>
#include <sstream>
#include <string>

namespace passerelle::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace passerelle::testing
