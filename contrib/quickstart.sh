#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs passerelle in the foreground on
# the example configuration (embedded SQLite under ./var, admin HTTP on 127.0.0.1:8480).
# Ctrl-C stops it cleanly.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
./contrib/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target passerelle
echo
echo "passerelle: admin on http://127.0.0.1:8480/healthz, /readyz, /metrics"
echo "passerelle: links stay 'backing_off' until an XMPP server (component port 5347) and an"
echo "            SMSC (127.0.0.1:2775; try contrib/dev-smsc.sh in another terminal) are up."
exec ./build/default/bridge/app/passerelle run --config config/passerelle.example.toml
