#!/usr/bin/env bash
# THE run command of the README: installs what building and running need
# (apt), builds out of tree in ./build/local, installs into ./local, writes
# a Janus configuration under ./run/janus and starts Janus in the foreground
# with the GoChat SFU plugin and the GoChat WebSocket transport
# (ws://HOST:3300/signal, demo page on http://HOST:3300/). Prints
# ready-to-use tokens and demo links for two users of one voice channel, and
# how to open them from another machine. Ctrl-C stops it.
#
# Environment knobs (all optional):
#   GOCHAT_WS_IP=127.0.0.1     address the transport listens on (0.0.0.0 for other machines)
#   GOCHAT_WS_PORT=3300        its port
#   GOCHAT_TLS=1               serve wss:// and https:// (docs/operations.md, TLS): with
#                              GOCHAT_TLS_CERT and GOCHAT_TLS_KEY (PEM files), or else a
#                              self-signed certificate made here for GOCHAT_TLS_NAME
#   GOCHAT_TLS_NAME=<host>     the name or address the self-signed certificate is for
#                              (default: this machine's first address)
#   GOCHAT_CHANNEL=<int64>     the voice channel the printed tokens are for
#   GOCHAT_TOKEN_TTL=3600      lifetime of the printed tokens, seconds
#   GOCHAT_SKIP_BUILD=1        reuse ./local as it is
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PREFIX="$REPO/local"
BUILD="$REPO/build/local"
RUN="$REPO/run/janus"
WS_IP=${GOCHAT_WS_IP:-127.0.0.1}
WS_PORT=${GOCHAT_WS_PORT:-3300}
CHANNEL=${GOCHAT_CHANNEL:-1234567890123456789}
TTL=${GOCHAT_TOKEN_TTL:-3600}
TLS=${GOCHAT_TLS:-0}

bash scripts/install-deps.sh run

if [ "${GOCHAT_SKIP_BUILD:-0}" != "1" ] || [ ! -x "$PREFIX/bin/gochat-token" ]; then
  echo "== build in $BUILD, install into $PREFIX =="
  # An in-tree build of an older checkout would stop configure in $BUILD.
  if [ -f Makefile ]; then make distclean >/dev/null 2>&1 || true; fi
  [ -x configure ] || autoreconf -fi
  mkdir -p "$BUILD"
  (cd "$BUILD" && { [ -f Makefile ] || "$REPO/configure" --prefix="$PREFIX"; } && make -j2 && make install)
fi

mkdir -p "$RUN/conf" "$RUN/plugins" "$RUN/transports" "$RUN/empty"
# The secret is made once and kept, so tokens stay valid across restarts.
SECRET_FILE="$RUN/auth_secret"
if [ ! -s "$SECRET_FILE" ]; then
  (umask 077; openssl rand -hex 32 > "$SECRET_FILE")
fi
SECRET=$(cat "$SECRET_FILE")

MACHINE_ADDRESS=$(hostname -I 2>/dev/null | awk '{print $1}')
MACHINE_ADDRESS=${MACHINE_ADDRESS:-127.0.0.1}

TLS_SETTINGS=""
SCHEME=http
WS_SCHEME=ws
if [ "$TLS" = "1" ]; then
  SCHEME=https
  WS_SCHEME=wss
  CERT=${GOCHAT_TLS_CERT:-}
  KEY=${GOCHAT_TLS_KEY:-}
  if [ -z "$CERT" ] || [ -z "$KEY" ]; then
    TLS_NAME=${GOCHAT_TLS_NAME:-$MACHINE_ADDRESS}
    CERT="$RUN/tls/cert.pem"
    KEY="$RUN/tls/key.pem"
    if [ ! -s "$CERT" ] || [ "$(cat "$RUN/tls/name" 2>/dev/null)" != "$TLS_NAME" ]; then
      mkdir -p "$RUN/tls"
      case "$TLS_NAME" in
        *[!0-9.]*) SAN="DNS:$TLS_NAME" ;;
        *) SAN="IP:$TLS_NAME" ;;
      esac
      (umask 077; openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$TLS_NAME" \
         -addext "subjectAltName=$SAN,DNS:localhost,IP:127.0.0.1" \
         -keyout "$KEY" -out "$CERT" 2>/dev/null)
      echo "$TLS_NAME" > "$RUN/tls/name"
    fi
  fi
  TLS_SETTINGS=$(printf '\ttls = true\n\ttls_cert = "%s"\n\ttls_key = "%s"\n' "$CERT" "$KEY")
fi

ln -sf "$PREFIX/lib/janus/plugins/libjanus_gochat_sfu.so" "$RUN/plugins/"
ln -sf "$PREFIX/lib/janus/transports/libjanus_gochat_ws.so" "$RUN/transports/"

cat > "$RUN/conf/janus.jcfg" <<JCFG
general: {
	configs_folder = "$RUN/conf"
	plugins_folder = "$RUN/plugins"
	transports_folder = "$RUN/transports"
	events_folder = "$RUN/empty"
	loggers_folder = "$RUN/empty"
	debug_level = 4
	# handles share two loop threads (docs/operations.md, janus.jcfg: event loops)
	event_loops = 2
}
media: {}
nat: {}
JCFG
(umask 077; cat > "$RUN/conf/janus.plugin.gochat.sfu.jcfg" <<JCFG
general: {
	auth_secret = "$SECRET"
	issuer = "gochat"
	token_leeway = 2
	empty_room_ttl = 10
	max_participants = 0
}
JCFG
)
cat > "$RUN/conf/janus.transport.gochat.ws.jcfg" <<JCFG
general: {
	enabled = true
	ip = "$WS_IP"
	port = $WS_PORT
	path = "/signal"
	join_timeout = 5000
	max_message_size = 262144
$TLS_SETTINGS
}
JCFG

mint() {
  "$PREFIX/bin/gochat-token" --config "$RUN/conf/janus.plugin.gochat.sfu.jcfg" \
    --user "$1" --channel "$CHANNEL" --perm "$2" --ttl "$TTL"
}
ALICE=1111111111111111111
BOB=2222222222222222222
TOKEN_ALICE=$(mint "$ALICE" connect,speak,video,mute,deafen,move)
TOKEN_BOB=$(mint "$BOB" connect,speak,video)

# The demo page (docs/demo.md) is served on the same port. A browser gives
# a page the microphone only in a secure context: https://, or a page on
# localhost. A listener on every address is opened through the machine's own.
PAGE_HOST=$WS_IP
if [ "$WS_IP" = "0.0.0.0" ]; then PAGE_HOST=$MACHINE_ADDRESS; fi
if [ "$TLS" = "1" ] && [ "$WS_IP" = "0.0.0.0" ] && [ -n "${TLS_NAME:-}" ]; then PAGE_HOST=$TLS_NAME; fi
case "$PAGE_HOST" in *:*) PAGE_HOST="[$PAGE_HOST]" ;; esac
PAGE="$SCHEME://$PAGE_HOST:$WS_PORT/"

cat <<INFO

GoChat SFU: Janus with janus.plugin.gochat.sfu and janus.transport.gochat.ws
  signaling  $WS_SCHEME://$PAGE_HOST:$WS_PORT/signal
  demo page  $PAGE
  channel    $CHANNEL
  config     $RUN/conf   (secret in $SECRET_FILE)

Tokens (valid ${TTL}s; join with {"op":7,"t":500,"d":{"channel":$CHANNEL,"token":"..."}}):
  alice ($ALICE, moderator): $TOKEN_ALICE
  bob   ($BOB):              $TOKEN_BOB

Demo page, one tab per user (the token is in the URL: share it like a password):
  alice: $PAGE?channel=$CHANNEL&token=$TOKEN_ALICE
  bob:   $PAGE?channel=$CHANNEL&token=$TOKEN_BOB

INFO
if [ "$TLS" != "1" ]; then
  cat <<INFO
From another machine: a browser gives a page the microphone only on https://
or on localhost. Forward the port over SSH and open the links above with
localhost there; the page stays on localhost (a secure context) while the
media goes straight to this machine's address ($MACHINE_ADDRESS), UDP:
  ssh -L $WS_PORT:127.0.0.1:$WS_PORT <user>@$MACHINE_ADDRESS
  then open http://localhost:$WS_PORT/?channel=$CHANNEL&token=...
Or serve TLS directly: GOCHAT_TLS=1 GOCHAT_WS_IP=0.0.0.0 bash scripts/run.sh
(a self-signed certificate: the browser asks you to accept it once).

INFO
elif [ -z "${GOCHAT_TLS_CERT:-}" ]; then
  cat <<INFO
TLS with a self-signed certificate for $TLS_NAME ($CERT): open the demo page
once and accept the certificate; GoChat clients need one they trust.

INFO
fi
cat <<INFO
More tokens: $PREFIX/bin/gochat-token --config $RUN/conf/janus.plugin.gochat.sfu.jcfg --user ID --channel $CHANNEL
Starting Janus (Ctrl-C to stop)...
INFO

exec janus -C "$RUN/conf/janus.jcfg" -F "$RUN/conf" -o
