#!/usr/bin/env bash
# Install the Debian packages the project needs. Idempotent and
# non-interactive: runs `apt-get update` only when a package is missing.
# Debian 12 (bookworm); needs root (or sudo).
#
#   bash scripts/install-deps.sh run    # build and run the SFU (scripts/run.sh)
#   bash scripts/install-deps.sh test   # that, plus the test toolchain (scripts/test.sh)
set -euo pipefail

MODE=${1:-test}

# Building and running: a compiler, autotools, Janus and the libraries the
# plugin and the transport link (and CMocka, which configure checks for).
RUN_PACKAGES=(
  build-essential autoconf automake libtool pkg-config
  janus janus-dev
  libglib2.0-dev libjansson-dev libjwt-dev libwebsockets-dev libcmocka-dev libssl-dev
  libcurl4-openssl-dev   # the webhook calls to GoChat (plugins/gochat-sfu/platform/curl_poster.cpp)
  libnice-dev libsrtp2-dev   # the load generator (tools/loadgen): ICE and SRTP
  openssl   # scripts/run.sh makes the auth secret and, with GOCHAT_TLS=1, a certificate
)
# Testing: real WebRTC clients, a browser and its driver, the fuzzers.
TEST_PACKAGES=(
  clang-14 libclang-rt-14-dev   # make fuzz: clang++ -fsanitize=fuzzer,address,undefined
  clang-format-14   # make format-check (.clang-format)
  python3 python3-aiortc python3-websockets python3-numpy python3-pytest
  python3-prometheus-client   # tests/e2e/test_metrics.py parses /metrics with its text parser
  iproute2 util-linux
  chromium chromium-driver python3-selenium   # the browser tests (tests/e2e/harness/browser.py)
)
case "$MODE" in
  run) PACKAGES=("${RUN_PACKAGES[@]}") ;;
  test) PACKAGES=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: install-deps.sh [run|test]" >&2; exit 2 ;;
esac

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

echo "install-deps.sh ($MODE): installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Running needs nothing a package merely recommends; the test toolchain
# (Chromium's fonts, say) keeps Debian's recommendations.
APT_OPTIONS=(-y -q)
if [ "$MODE" = run ]; then APT_OPTIONS+=(--no-install-recommends); fi
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install "${APT_OPTIONS[@]}" "${missing[@]}"
