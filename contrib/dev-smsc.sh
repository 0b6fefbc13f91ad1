#!/usr/bin/env bash
# dev-smsc.sh — a simulated SMSC for trying passerelle by hand (README quick start).
#
# Runs tests/peers/smsc/smsc.js (on the npm `smpp` package) in the foreground on
# 127.0.0.1:2775, accepting system_id "passerelle" / password "secret" — what
# config/passerelle.example.toml uses — and sending a delivery receipt for every
# accepted message that asks for one. Stop it with Ctrl-C.
#
#   contrib/dev-smsc.sh                      # defaults
#   contrib/dev-smsc.sh --delay-ms 200       # extra options go to smsc.js (see its header)
#   SMSC_PORT=2776 contrib/dev-smsc.sh       # another port
#
# Submitted messages are logged, one JSON line each, to tests/peers/run/dev-smsc.jsonl
# (SMSC_LOG to change). Type control commands on stdin, one JSON object per line, e.g.
#   {"cmd":"mo","from":"+33611111111","to":"+33700000001","text":"hello back"}
#   {"cmd":"stats"}
# and the answer is printed as one JSON line.
#
# Needs node and npm (Debian: apt-get install nodejs npm). Installs the pinned
# node_modules with `npm ci` in tests/peers when they are missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/tests/peers"
port="${SMSC_PORT:-2775}"
log="${SMSC_LOG:-$peers/run/dev-smsc.jsonl}"

command -v node >/dev/null || { echo "dev-smsc.sh: node is not installed (apt-get install nodejs)" >&2; exit 1; }
if [ ! -f "$peers/node_modules/smpp/package.json" ]; then
  command -v npm >/dev/null || { echo "dev-smsc.sh: npm is not installed (apt-get install npm)" >&2; exit 1; }
  echo "dev-smsc.sh: installing node_modules in tests/peers (npm ci)" >&2
  (cd "$peers" && npm ci --no-audit --no-fund)
fi
mkdir -p "$(dirname "$log")"

echo "dev-smsc.sh: SMSC on 127.0.0.1:$port (system_id passerelle, password secret), log $log" >&2
exec node "$peers/smsc/smsc.js" --port "$port" --system-id passerelle --password secret \
  --receipts --log "$log" "$@"
