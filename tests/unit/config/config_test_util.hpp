#pragma once
// Shared by the config tests: parsing from text and a scratch directory for files.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

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

// A fresh directory under the system temp dir, removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    dir_ =
        std::filesystem::temp_directory_path() / ("passerelle-config-test-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, std::string_view content, mode_t mode = 0600) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary) << content;
    ::chmod(p.c_str(), mode);
    return p;
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace passerelle::config::testing
