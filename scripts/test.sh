#!/usr/bin/env bash
# THE test command: install deps, build from a clean state into ./local,
# run the CMocka unit tests (make check), then the end-to-end suite against
# the real Janus binary (tests/e2e, see docs/testing.md).
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -k foundation   # extra arguments go to pytest
#   GOCHAT_SKIP_BUILD=1 bash scripts/test.sh -k selftest   # reuse ./local
#   GOCHAT_SANITIZE=1 bash scripts/test.sh   # ASan+UBSan build, Janus runs with
#                                            # the runtime preloaded (docs/testing.md)
#   GOCHAT_SANITIZER_PASS=0 bash scripts/test.sh  # skip the final ASan/UBSan e2e subset
#   GOCHAT_FUZZ_SECONDS=60 bash scripts/test.sh   # longer fuzz step (default 10 s
#                                                 # per target; 0 skips it)
#
# Exits non-zero when the build, a unit test or an e2e test fails.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PYTHON=/usr/bin/python3   # Debian's aiortc/websockets live here, not in a pyenv python3
status=0

bash scripts/install-deps.sh

if [ "${GOCHAT_SKIP_BUILD:-0}" != "1" ]; then
  echo "== build (clean) =="
  if [ -f Makefile ]; then make distclean >/dev/null 2>&1 || true; fi
  rm -rf "$REPO/local"
  autoreconf -fi
  CONFIGURE_FLAGS=()
  if [ "${GOCHAT_SANITIZE:-0}" = "1" ]; then CONFIGURE_FLAGS+=(--enable-sanitizers); fi
  ./configure --prefix="$REPO/local" "${CONFIGURE_FLAGS[@]}"
  make -j2
  make install

  echo "== unit tests (make check) =="
  if ! make -j2 check; then
    status=1
    find . -name 'test-suite.log' -not -path './local/*' -exec cat {} + || true
  fi

  # libFuzzer targets (clang, independent of the gcc build): a short run so
  # CI exercises them; crashes land in tests/fuzz/artifacts/.
  if [ "${GOCHAT_FUZZ_SECONDS:-10}" != "0" ]; then
    echo "== fuzz (make fuzz, ${GOCHAT_FUZZ_SECONDS:-10} s per target) =="
    if ! make fuzz FUZZ_SECONDS="${GOCHAT_FUZZ_SECONDS:-10}"; then
      status=1
    fi
  fi
fi

if [ "${GOCHAT_SANITIZE:-0}" = "1" ]; then
  # The plugin and transport were built with -fsanitize=address,undefined;
  # Janus is not, so the ASan runtime must be preloaded into it. The harness
  # sets ASAN_OPTIONS/UBSAN_OPTIONS and fails a test on any report.
  export GOCHAT_JANUS_PRELOAD="${GOCHAT_JANUS_PRELOAD:-$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)}"
  echo "== sanitizer run: LD_PRELOAD=$GOCHAT_JANUS_PRELOAD =="
fi

echo "== end-to-end tests (real Janus in a private network namespace) =="
# The suite moves itself into a fresh network namespace (tests/e2e/conftest.py),
# so it needs root, as CI is.
export GOCHAT_PREFIX="${GOCHAT_PREFIX:-$REPO/local}"
if ! "$PYTHON" -m pytest tests/e2e -v "$@"; then
  status=1
fi

# A second pass under AddressSanitizer and UBSan: the modules are rebuilt
# with --enable-sanitizers in a copy of the tree, Janus runs with the
# sanitizer runtime preloaded, and any report fails the test that caused it
# (tests/e2e/conftest.py). A subset keeps CI time down; GOCHAT_SANITIZE=1
# runs everything that way instead. GOCHAT_SANITIZER_PASS=0 skips it.
if [ "${GOCHAT_SANITIZER_PASS:-1}" = "1" ] && [ "${GOCHAT_SANITIZE:-0}" != "1" ] && \
   [ "${GOCHAT_SKIP_BUILD:-0}" != "1" ] && [ "$#" -eq 0 ] && git rev-parse --git-dir >/dev/null 2>&1; then
  echo "== sanitizer pass: ASan+UBSan modules, Janus with the runtime preloaded =="
  ASAN_TREE="$REPO/run/asan-build"
  rm -rf "$ASAN_TREE" && mkdir -p "$ASAN_TREE"
  git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$ASAN_TREE"
  if (cd "$ASAN_TREE" && autoreconf -fi >/dev/null 2>&1 && \
      ./configure --prefix="$ASAN_TREE/local" --enable-sanitizers >/dev/null && \
      make -j2 >/dev/null && make install >/dev/null); then
    if ! GOCHAT_PREFIX="$ASAN_TREE/local" \
         GOCHAT_JANUS_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
         "$PYTHON" -m pytest tests/e2e/test_foundation.py tests/e2e/test_plain_janus_api.py \
           tests/e2e/test_voice_control.py tests/e2e/test_video.py -q; then
      status=1
    fi
  else
    echo "scripts/test.sh: the sanitizer build failed" >&2
    status=1
  fi
fi

if [ "$status" -ne 0 ]; then
  echo "scripts/test.sh: FAILED (e2e logs: run/e2e/latest/)" >&2
fi
exit "$status"
