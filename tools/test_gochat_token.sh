#!/usr/bin/env bash
# The gochat-token CLI as an operator and the run script use it: exit codes,
# the claims it writes, the .jcfg it reads, and a signature checked by an
# HMAC implementation other than the one that made it (Python's).
set -euo pipefail

TOOL=${GOCHAT_TOKEN:-./tools/gochat-token}
PYTHON=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_exit CODE ARGS...: the tool exits with CODE.
expect_exit() {
  local want=$1 got=0
  shift
  "$TOOL" "$@" >"$work/out" 2>"$work/err" || got=$?
  [ "$got" -eq "$want" ] || fail "gochat-token $* exited $got, expected $want ($(cat "$work/err"))"
}

# claims TOKEN SECRET: prints the payload as sorted JSON after checking the
# HS256 signature with SECRET.
claims() {
  "$PYTHON" - "$1" "$2" <<'EOF'
import base64, hashlib, hmac, json, sys
token, secret = sys.argv[1], sys.argv[2].encode()
header, payload, signature = token.split(".")
unb64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
expected = hmac.new(secret, (header + "." + payload).encode(), hashlib.sha256).digest()
if not hmac.compare_digest(unb64(signature), expected):
    sys.exit("bad signature")
if json.loads(unb64(header)) != {"alg": "HS256", "typ": "JWT"}:
    sys.exit("unexpected header")
print(json.dumps(json.loads(unb64(payload)), sort_keys=True))
EOF
}

# expect_claim JSON KEY VALUE: VALUE is the JSON text of claim KEY (absent: "-").
expect_claim() {
  local got
  got=$("$PYTHON" -c 'import json,sys; c=json.loads(sys.argv[1]); print(json.dumps(c[sys.argv[2]]) if sys.argv[2] in c else "-")' "$1" "$2")
  [ "$got" = "$3" ] || fail "claim $2 is $got, expected $3"
}

# Usage errors exit 2, runtime failures 1.
expect_exit 0 --help
expect_exit 2 --user 42 --channel 1
expect_exit 2 --secret s --channel 1
expect_exit 2 --secret s --user 0 --channel 1
expect_exit 2 --secret s --user 42
expect_exit 2 --secret s --user 4x2 --channel 1
expect_exit 2 --secret s --user 9223372036854775808 --channel 1
expect_exit 2 --secret s --user 42 --channel 1 --perms 1 --perm connect
expect_exit 2 --secret s --user 42 --channel 1 --perm fly
expect_exit 2 --secret s --user 42 --channel 1 --ttl 0
expect_exit 2 --secret s --user 42 --channel 1 --no-such-option
expect_exit 2 --secret s --secret-file "$work/x" --user 42 --channel 1
expect_exit 1 --secret-file "$work/missing" --user 42 --channel 1

# Defaults: a member's rights, 120 s, issuer gochat; the token alone on stdout.
"$TOOL" --secret s3cret --user 1234567890123456789 --channel 789 --issued-at 1700000000 >"$work/out"
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "stdout holds more than the token"
c=$(claims "$(cat "$work/out")" s3cret) || fail "default token: $c"
expect_claim "$c" user_id 1234567890123456789
expect_claim "$c" channel_id 789
expect_claim "$c" perms 7340032
expect_claim "$c" iss '"gochat"'
expect_claim "$c" typ '"sfu"'
expect_claim "$c" aud '["sfu"]'
expect_claim "$c" iat 1700000000
expect_claim "$c" exp 1700000120
expect_claim "$c" moved false
expect_claim "$c" guild_id -

# --perm names, --moved, --guild, --ttl, channel 0 leaves the claim out.
c=$(claims "$("$TOOL" --secret s --user 7 --channel 0 --guild 5 --perm mute,deafen --perm admin --moved --ttl 300 --issued-at 100)" s)
expect_claim "$c" perms $(((1 << 23) | (1 << 24) | (1 << 26)))
expect_claim "$c" channel_id -
expect_claim "$c" guild_id 5
expect_claim "$c" moved true
expect_claim "$c" exp 400

# A secret file loses one trailing newline and nothing else.
printf ' two words \r\n' >"$work/secret"
claims "$("$TOOL" --secret-file "$work/secret" --user 1 --channel 1)" ' two words ' >/dev/null ||
  fail "secret file: trailing CRLF not dropped"

# The plugin's config: secret, issuer and permission bits (as numbers or text).
cat >"$work/plugin.jcfg" <<'EOF'
general: {
	auth_secret = "from " "config\x21"   # adjacent strings join
	issuer = "gochat-eu"
	/* unrelated keys are skipped */
	token_leeway = 2; empty_room_ttl = 10, ratio = 1.5e3
	list = ( 1, "two", { nested = true }, [ 0x10L ] )
}
permissions: {
	voice_connect = 3
	voice_speak = "4"
}
EOF
c=$(claims "$("$TOOL" --config "$work/plugin.jcfg" --user 1 --channel 1 --perm connect,speak,video)" 'from config!')
expect_claim "$c" perms $(((1 << 3) | (1 << 4) | (1 << 22)))
expect_claim "$c" iss '"gochat-eu"'
# --secret and --issuer win over the config.
c=$(claims "$("$TOOL" --config "$work/plugin.jcfg" --secret other --issuer x --user 1 --channel 1 --perms 9)" other)
expect_claim "$c" iss '"x"'
expect_claim "$c" perms 9

# The shipped sample has its secret commented out.
printf 'general: {\n\t#auth_secret = "change-me"\n}\n' >"$work/sample.jcfg"
expect_exit 1 --config "$work/sample.jcfg" --user 1 --channel 1
printf 'permissions: { voice_connect = 64 }\n' >"$work/badbit.jcfg"
expect_exit 1 --config "$work/badbit.jcfg" --secret s --user 1 --channel 1
printf 'general: { auth_secret = "x"\n' >"$work/broken.jcfg"
expect_exit 1 --config "$work/broken.jcfg" --user 1 --channel 1
grep -q "line 2" "$work/err" || fail "a config error names its line: $(cat "$work/err")"

# --kind admin: what GoChat's API sends with POST /admin/channel/close.
expect_exit 2 --kind admin --secret s
expect_exit 2 --kind admin --secret s --channel 5 --user 42
expect_exit 2 --kind admin --secret s --channel 5 --perm connect
expect_exit 2 --kind admin --secret s --channel 5 --id x
expect_exit 2 --kind root --secret s --channel 5
c=$(claims "$("$TOOL" --kind admin --secret s3cret --channel 1234567890123456789 --issued-at 1700000000)" s3cret)
expect_claim "$c" typ '"admin"'
expect_claim "$c" aud '["sfu"]'
expect_claim "$c" iss '"gochat"'
expect_claim "$c" channel_id 1234567890123456789
expect_claim "$c" user_id 0
expect_claim "$c" iat 1700000000
expect_claim "$c" exp 1700000120
expect_claim "$c" perms -
# channel 0 (any channel) is written, as GoChat writes it; the config gives secret and issuer.
c=$(claims "$("$TOOL" --kind admin --config "$work/plugin.jcfg" --channel 0 --ttl 30 --issued-at 10)" 'from config!')
expect_claim "$c" channel_id 0
expect_claim "$c" iss '"gochat-eu"'
expect_claim "$c" exp 40

# --kind webhook: {"typ":"sfu","id":...} with the webhook service's secret, no exp by default.
expect_exit 2 --kind webhook --secret s
expect_exit 2 --kind webhook --secret s --id sfu-1 --channel 5
expect_exit 2 --kind webhook --secret s --id sfu-1 --user 5
expect_exit 2 --kind webhook --config "$work/plugin.jcfg" --id sfu-1
expect_exit 2 --kind webhook --secret s --id sfu-1 --issuer gochat
printf 'hook secret\n' >"$work/hook"
c=$(claims "$("$TOOL" --kind webhook --secret-file "$work/hook" --id sfu-eu-1 --issued-at 1700000000)" 'hook secret')
[ "$c" = '{"iat": 1700000000, "id": "sfu-eu-1", "typ": "sfu"}' ] || fail "webhook claims: $c"
c=$(claims "$("$TOOL" --kind webhook --secret s --id a --ttl 60 --issued-at 100)" s)
expect_claim "$c" exp 160

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "gochat-token: all checks passed"
