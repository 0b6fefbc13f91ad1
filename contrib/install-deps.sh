#!/usr/bin/env bash
# Installs what passerelle needs to build, run and test on Debian 12, from Debian's
# packages and the npm registry only. Idempotent: a second run installs nothing new.
#
#   contrib/install-deps.sh            build + run dependencies
#   contrib/install-deps.sh --test     also test peers (Prosody, slixmpp, npm smpp) and tools
set -euo pipefail

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "install-deps: unknown option '$arg' (expected --test)" >&2; exit 2 ;;
  esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi

build_pkgs=(
  cmake ninja-build g++ pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libstrophe-dev libssl-dev libtomlplusplus-dev libsqlite3-dev
  libspdlog-dev libfmt-dev libcli11-dev libjemalloc-dev
  libphonenumber8 libgeocoding8 libprotobuf-dev libabsl-dev libicu-dev
)
test_pkgs=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  prosody python3-slixmpp curl procps openssl
)

pkgs=("${build_pkgs[@]}")
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js may come from another Debian-format package that bundles npm; only ask apt
# for Debian's own when neither command exists.
if [ "$want_test" = 1 ] && ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian 12's libphonenumber-dev depends on the Boost 1.74 development packages, which
# conflict with Boost 1.81. The library itself (libphonenumber8) is installed above; its
# headers are unpacked from the same Debian package into .deps/, where CMake finds them.
pn_dir="$top/.deps/libphonenumber"
if [ ! -f /usr/include/phonenumbers/phonenumberutil.h ] && [ ! -f "$pn_dir/usr/include/phonenumbers/phonenumberutil.h" ]; then
  echo "install-deps: unpacking libphonenumber-dev headers into .deps/"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libphonenumber-dev >/dev/null 2>&1 || { $sudo apt-get update -qq && apt-get download libphonenumber-dev; })
  mkdir -p "$pn_dir"
  dpkg-deb -x "$tmp"/libphonenumber-dev_*.deb "$pn_dir"
  rm -rf "$tmp"
fi

if [ "$want_test" = 1 ] && [ -f "$top/tests/peers/package.json" ]; then
  if [ ! -d "$top/tests/peers/node_modules" ] || [ "$top/tests/peers/package-lock.json" -nt "$top/tests/peers/node_modules" ]; then
    echo "install-deps: npm ci in tests/peers"
    (cd "$top/tests/peers" && npm ci --no-audit --no-fund --silent && touch node_modules)
  fi
fi
echo "install-deps: ok"
