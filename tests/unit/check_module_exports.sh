#!/bin/sh
# Each Janus module must export exactly one dynamic symbol, `create`: Janus
# dlopens them RTLD_GLOBAL, so anything more could interpose other plugins.
set -u
builddir=${top_builddir:-.}
status=0
for module in plugins/gochat-sfu/.libs/libjanus_gochat_sfu.so transports/gochat-ws/.libs/libjanus_gochat_ws.so; do
  so="$builddir/$module"
  if [ ! -f "$so" ]; then
    echo "FAIL: $so was not built"; status=1; continue
  fi
  exported=$(nm -D --defined-only "$so" | awk '{print $3}' | tr '\n' ' ')
  if [ "$exported" = "create " ]; then
    echo "ok: $module exports only create"
  else
    echo "FAIL: $module exports: $exported"; status=1
  fi
done
exit $status
