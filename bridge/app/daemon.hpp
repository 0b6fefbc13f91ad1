#pragma once
// `passerelle run`: wires store, bus, router, connectors and admin HTTP on one
// io_context, runs until SIGTERM/SIGINT, then drains and exits.

#include "config/config.hpp"

namespace passerelle {

// Returns the process exit code: 0 after a clean shutdown, 1 when start-up failed (the
// reason is logged).
int run_daemon(const config::Config& cfg);

}  // namespace passerelle
