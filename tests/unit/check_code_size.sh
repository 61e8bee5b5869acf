#!/bin/sh
# The size rule of docs/architecture.md (Code size): no source file in
# plugins/, transports/ or tools/loadgen/ over 600 lines, no function over
# 80, the core (and the media plane, and the metrics) include no Janus, GLib
# or Jansson header, and platform/ no Janus or GLib header (libcurl only in
# curl_poster.cpp).
set -u
srcdir=${srcdir:-.}
status=0
for file in $(find "$srcdir/plugins" "$srcdir/transports" "$srcdir/tools/loadgen" -name '*.cpp' -o -name '*.hpp' -o -name '*.c' -o -name '*.h'); do
  lines=$(wc -l < "$file")
  if [ "$lines" -gt 600 ]; then echo "FAIL: $file has $lines lines (at most 600)"; status=1; fi
done
if ! python3 "$srcdir/tools/dev/long_functions.py" --max 80 "$srcdir/plugins" "$srcdir/transports" "$srcdir/tools/loadgen"; then status=1; fi
if grep -nE '#include *[<"](glib|jansson|janus|plugins/plugin|plugins/gochat-sfu/janus|debug|rtp|rtcp|sdp-utils)' "$srcdir"/plugins/gochat-sfu/core/* \
     "$srcdir"/plugins/gochat-sfu/media/* "$srcdir"/plugins/gochat-sfu/metrics/*; then
  echo "FAIL: core/, media/ and metrics/ must not include Janus, GLib or Jansson headers"; status=1
fi
# platform/ (GoChat webhooks) is Janus-free and GLib-free; libcurl stays in curl_poster.cpp.
if grep -nE '#include *[<"](glib|janus|plugins/plugin|plugins/gochat-sfu/janus|debug|rtp|rtcp|sdp-utils)' "$srcdir"/plugins/gochat-sfu/platform/*; then
  echo "FAIL: platform/ must not include Janus or GLib headers"; status=1
fi
if grep -lE '#include *[<"]curl/' "$srcdir"/plugins/gochat-sfu/platform/* | grep -v '/curl_poster\.cpp$'; then
  echo "FAIL: only platform/curl_poster.cpp includes libcurl"; status=1
fi
[ $status -eq 0 ] && echo "ok: sizes and core includes"
exit $status
