#!/usr/bin/env bash
# THE run command of the README: installs what is missing (apt), builds,
# installs into ./local, writes a Janus configuration under ./run/janus and
# starts Janus in the foreground with the GoChat SFU plugin and the GoChat
# WebSocket transport (ws://HOST:3300/signal, demo page on http://HOST:3300/).
# Prints ready-to-use tokens and demo URLs for two users of one voice
# channel. Ctrl-C stops it.
#
# Environment knobs (all optional):
#   GOCHAT_WS_IP=127.0.0.1     address the transport listens on (0.0.0.0 for other machines)
#   GOCHAT_WS_PORT=3300        its port
#   GOCHAT_CHANNEL=<int64>     the voice channel the printed tokens are for
#   GOCHAT_TOKEN_TTL=3600      lifetime of the printed tokens, seconds
#   GOCHAT_SKIP_BUILD=1        reuse ./local as it is
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PREFIX="$REPO/local"
RUN="$REPO/run/janus"
WS_IP=${GOCHAT_WS_IP:-127.0.0.1}
WS_PORT=${GOCHAT_WS_PORT:-3300}
CHANNEL=${GOCHAT_CHANNEL:-1234567890123456789}
TTL=${GOCHAT_TOKEN_TTL:-3600}

bash scripts/install-deps.sh

if [ "${GOCHAT_SKIP_BUILD:-0}" != "1" ] || [ ! -x "$PREFIX/bin/gochat-token" ]; then
  echo "== build and install into $PREFIX =="
  [ -x configure ] || autoreconf -fi
  [ -f Makefile ] || ./configure --prefix="$PREFIX"
  make -j2
  make install
fi

mkdir -p "$RUN/conf" "$RUN/plugins" "$RUN/transports" "$RUN/empty"
# The secret is made once and kept, so tokens stay valid across restarts.
SECRET_FILE="$RUN/auth_secret"
if [ ! -s "$SECRET_FILE" ]; then
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET_FILE")
fi
SECRET=$(cat "$SECRET_FILE")

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

# The demo page (docs/demo.md) is served on the same port. A listener on
# every address is opened in a browser through one of the machine's own.
PAGE_HOST=$WS_IP
if [ "$WS_IP" = "0.0.0.0" ]; then
  PAGE_HOST=$(hostname -I 2>/dev/null | awk '{print $1}')
  PAGE_HOST=${PAGE_HOST:-127.0.0.1}
fi
case "$PAGE_HOST" in *:*) PAGE_HOST="[$PAGE_HOST]" ;; esac
PAGE="http://$PAGE_HOST:$WS_PORT/"

cat <<INFO

GoChat SFU: Janus with janus.plugin.gochat.sfu and janus.transport.gochat.ws
  signaling  ws://$WS_IP:$WS_PORT/signal
  demo page  $PAGE
  channel    $CHANNEL
  config     $RUN/conf   (secret in $SECRET_FILE)

Tokens (valid ${TTL}s; join with {"op":7,"t":500,"d":{"channel":$CHANNEL,"token":"..."}}):
  alice ($ALICE, moderator): $TOKEN_ALICE
  bob   ($BOB):              $TOKEN_BOB

Demo page, one tab per user (the token is in the URL: share it like a password):
  alice: $PAGE?channel=$CHANNEL&token=$TOKEN_ALICE
  bob:   $PAGE?channel=$CHANNEL&token=$TOKEN_BOB

More tokens: $PREFIX/bin/gochat-token --config $RUN/conf/janus.plugin.gochat.sfu.jcfg --user ID --channel $CHANNEL
Starting Janus (Ctrl-C to stop)...
INFO

exec janus -C "$RUN/conf/janus.jcfg" -F "$RUN/conf" -o
