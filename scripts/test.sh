#!/usr/bin/env bash
# THE test command: install deps, build from a clean state (out of tree, in
# ./build/local) into ./local, run the CMocka unit tests (make check) and a
# short fuzz run, then the end-to-end suite against the real Janus binary
# (tests/e2e, see docs/testing.md), then a second pass of part of it with
# ASan/UBSan. About 15 minutes on 2 cores once the packages are installed.
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
BUILD="$REPO/build/local"
status=0
STARTED=$SECONDS

# A stage heading with the time spent so far, so a long run shows progress.
stage() { printf '\n== [%dm%02ds] %s ==\n' $(((SECONDS - STARTED) / 60)) $(((SECONDS - STARTED) % 60)) "$*"; }

stage "packages (scripts/install-deps.sh test)"
bash scripts/install-deps.sh test

if [ "${GOCHAT_SKIP_BUILD:-0}" != "1" ]; then
  stage "build (clean, in $BUILD; about 2 minutes)"
  # An in-tree build of an older checkout would stop configure in $BUILD.
  if [ -f Makefile ]; then make distclean >/dev/null 2>&1 || true; fi
  rm -rf "$REPO/local" "$BUILD"
  autoreconf -fi
  CONFIGURE_FLAGS=()
  if [ "${GOCHAT_SANITIZE:-0}" = "1" ]; then CONFIGURE_FLAGS+=(--enable-sanitizers); fi
  mkdir -p "$BUILD"
  cd "$BUILD"
  "$REPO/configure" --prefix="$REPO/local" "${CONFIGURE_FLAGS[@]}"
  make -j2
  make install

  stage "layout (make format-check)"
  if ! make format-check; then
    echo "scripts/test.sh: run 'make format' in $BUILD to lay the sources out as .clang-format says" >&2
    status=1
  fi

  stage "unit tests (make check)"
  if ! make -j2 check; then
    status=1
    find . -name 'test-suite.log' -exec cat {} + || true
  fi

  # libFuzzer targets (clang, independent of the gcc build): a short run so
  # CI exercises them; crashes land in build/local/tests/fuzz/artifacts/.
  if [ "${GOCHAT_FUZZ_SECONDS:-10}" != "0" ]; then
    stage "fuzz (make fuzz, ${GOCHAT_FUZZ_SECONDS:-10} s per target)"
    if ! make fuzz FUZZ_SECONDS="${GOCHAT_FUZZ_SECONDS:-10}"; then
      status=1
    fi
  fi
  cd "$REPO"
fi

if [ "${GOCHAT_SANITIZE:-0}" = "1" ]; then
  # The plugin and transport were built with -fsanitize=address,undefined;
  # Janus is not, so the ASan runtime must be preloaded into it. The harness
  # sets ASAN_OPTIONS/UBSAN_OPTIONS and fails a test on any report.
  export GOCHAT_JANUS_PRELOAD="${GOCHAT_JANUS_PRELOAD:-$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)}"
  echo "sanitizer run: LD_PRELOAD=$GOCHAT_JANUS_PRELOAD"
fi

stage "end-to-end tests (real Janus in a private network namespace; about 5 minutes)"
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
if [ "${GOCHAT_SANITIZER_PASS:-1}" != "1" ] || [ "${GOCHAT_SANITIZE:-0}" = "1" ] || \
   [ "${GOCHAT_SKIP_BUILD:-0}" = "1" ] || [ "$#" -ne 0 ]; then
  stage "sanitizer pass skipped (GOCHAT_SANITIZER_PASS=0, GOCHAT_SANITIZE=1, GOCHAT_SKIP_BUILD=1 or pytest arguments)"
else
  ASAN_TREE="$REPO/run/asan-build"
  ASAN_LOG="$ASAN_TREE.log"
  stage "sanitizer build: ASan+UBSan modules in $ASAN_TREE (about 2 minutes; log: $ASAN_LOG)"
  rm -rf "$ASAN_TREE" && mkdir -p "$ASAN_TREE"
  # The sources only: the tracked files, or without git (a tarball) the tree
  # minus what builds and runs leave behind.
  if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$REPO" ls-files -z | tar -C "$REPO" --null -T - -cf - | tar -xf - -C "$ASAN_TREE"
  else
    tar -C "$REPO" --exclude=./build --exclude=./local --exclude=./run --exclude=./.git -cf - . | tar -xf - -C "$ASAN_TREE"
  fi
  if (cd "$ASAN_TREE" && set -e && echo "autoreconf" && autoreconf -fi >"$ASAN_LOG" 2>&1 && \
      echo "configure --enable-sanitizers" && ./configure --prefix="$ASAN_TREE/local" --enable-sanitizers >>"$ASAN_LOG" 2>&1 && \
      echo "make" && make -j2 >>"$ASAN_LOG" 2>&1 && make install >>"$ASAN_LOG" 2>&1); then
    stage "sanitizer pass: Janus with the runtime preloaded (about 3 minutes)"
    if ! GOCHAT_PREFIX="$ASAN_TREE/local" \
         GOCHAT_JANUS_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
         "$PYTHON" -m pytest tests/e2e/test_foundation.py tests/e2e/test_plain_janus_api.py \
           tests/e2e/test_voice_control.py tests/e2e/test_video.py -q; then
      status=1
    fi
  else
    tail -n 40 "$ASAN_LOG" >&2 || true
    echo "scripts/test.sh: the sanitizer build failed (log: $ASAN_LOG)" >&2
    status=1
  fi
fi

stage "done"
if [ "$status" -ne 0 ]; then
  echo "scripts/test.sh: FAILED (e2e logs: run/e2e/latest/)" >&2
fi
exit "$status"
