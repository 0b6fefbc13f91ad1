#pragma once
// Shared by the config tests: parsing from text and a scratch directory for files.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "../common/temp_dir.hpp"
#include "config/load.hpp"

namespace passerelle::config::testing {

// The error message of a parse that must fail ("" and a test failure if it succeeded).
inline std::string errors_of(std::string_view text, const std::string& name = "passerelle.toml") {
  auto r = parse_config(text, name);
  EXPECT_FALSE(r.ok()) << "expected errors for:\n" << text;
  return r.ok() ? std::string() : r.error().message;
}

// The config from a parse that must succeed.
inline Config config_of(std::string_view text, const std::string& name = "passerelle.toml") {
  auto r = parse_config(text, name);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Config{};
}

// The shared temporary directory, with what the config tests need of it: paths by name
// and files written with a mode.
class ScratchDir {
 public:
  const std::filesystem::path& path() const { return dir_.path(); }
  std::string file(const std::string& name) const { return (dir_.path() / name).string(); }
  std::string write(const std::string& name, std::string_view content, mode_t mode = 0600) const {
    const std::string p = dir_.write(name, std::string(content)).string();
    ::chmod(p.c_str(), mode);
    return p;
  }

 private:
  passerelle::testing::TempDir dir_;
};

}  // namespace passerelle::config::testing
