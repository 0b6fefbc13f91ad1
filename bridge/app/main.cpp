// passerelle: run | check-config | version.

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "app/daemon.hpp"
#include "app/logging.hpp"
#include "config/load.hpp"
#include "passerelle/version.hpp"

namespace {

using passerelle::Result;

Result<passerelle::config::Config> load(const std::string& cli_path) {
  auto path = passerelle::config::find_config_path(cli_path);
  if (!path.ok()) return path.error();
  return passerelle::config::load_config(*path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"passerelle: a self-hosted multi-protocol messaging bridge"};
  app.set_version_flag("--version", std::string("passerelle ") + passerelle::kVersion);
  app.require_subcommand(1);
  std::string config_path;

  auto* run = app.add_subcommand("run", "Run the bridge until SIGTERM or SIGINT");
  run->add_option("-c,--config", config_path,
                  "Configuration file (default: $PASSERELLE_CONFIG, ./passerelle.toml)");
  auto* check = app.add_subcommand("check-config",
                                   "Check the configuration and print a summary; starts nothing");
  check->add_option("-c,--config", config_path,
                    "Configuration file (default: $PASSERELLE_CONFIG, ./passerelle.toml)");
  app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (app.got_subcommand("version")) {
    std::cout << "passerelle " << passerelle::kVersion << "\n";
    return 0;
  }

  auto cfg = load(config_path);
  if (!cfg.ok()) {
    std::cerr << cfg.error().message << "\n";
    return 2;
  }
  for (const auto& w : cfg->warnings) std::cerr << "warning: " << w << "\n";

  if (app.got_subcommand("check-config")) {
    std::cout << passerelle::config::describe(*cfg);
    std::cout << cfg->source_path << ": ok\n";
    return 0;
  }

  if (auto st = passerelle::setup_logging(cfg->log.level, cfg->log.format); !st.ok()) {
    std::cerr << st.error().message << "\n";
    return 2;
  }
  spdlog::info("passerelle {} starting with {}", passerelle::kVersion, cfg->source_path);
  return passerelle::run_daemon(*cfg);
}
