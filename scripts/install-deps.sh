#!/usr/bin/env bash
# Install every Debian package the project needs to build and test.
# Idempotent and non-interactive: runs `apt-get update` only when a package
# is missing. Debian 12 (bookworm); needs root (or sudo).
set -euo pipefail

BUILD_PACKAGES=(
  build-essential autoconf automake libtool pkg-config
  janus janus-dev
  libglib2.0-dev libjansson-dev libjwt-dev libwebsockets-dev libcmocka-dev libssl-dev
  clang-14 libclang-rt-14-dev   # make fuzz: clang++ -fsanitize=fuzzer,address,undefined
)
TEST_PACKAGES=(
  python3 python3-aiortc python3-websockets python3-numpy python3-pytest
  iproute2 util-linux
  chromium chromium-driver python3-selenium   # the browser tests (tests/e2e/harness/browser.py)
  openssl   # test_transport_tls.py makes its certificates with `openssl req`
)
PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "install-deps.sh: must run as root (or have sudo)" >&2; exit 1
  fi
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != "installed" ]; then missing+=("$pkg"); fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps.sh: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q "${missing[@]}"
