"""HS256 tokens as GoChat's API issues them (docs/tokens.md), minted
with hmac/base64 only, plus knobs to craft every kind of bad token."""

import base64
import hashlib
import hmac
import json
import time

PERM_CONNECT = 1 << 20
PERM_SPEAK = 1 << 21
PERM_VIDEO = 1 << 22
PERM_MUTE_MEMBERS = 1 << 23
PERM_DEAFEN_MEMBERS = 1 << 24
PERM_MOVE_MEMBERS = 1 << 25
PERM_ADMINISTRATOR = 1 << 26
PERMS_MEMBER = PERM_CONNECT | PERM_SPEAK | PERM_VIDEO  # 7340032

DEFAULT_SECRET = "e2e-secret-0123456789abcdef0123456789abcdef"
DEFAULT_ISSUER = "gochat"

_UNSET = object()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign(header: dict, claims: dict, secret: str, digest=hashlib.sha256) -> str:
    signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode())
                     + "." + _b64url(json.dumps(claims, separators=(",", ":")).encode()))
    sig = hmac.new(secret.encode(), signing_input.encode("ascii"), digest).digest()
    return signing_input + "." + _b64url(sig)


def mint(user_id: int, channel_id: int, perms: int = PERMS_MEMBER, *,
         secret: str = DEFAULT_SECRET, issuer: str = DEFAULT_ISSUER,
         guild_id: int = 1111111111111111111, moved: bool = False,
         lifetime: int = 120, now: float = None, exp=_UNSET, iat=_UNSET,
         nbf=_UNSET, typ="sfu", aud=("sfu",), alg="HS256",
         bad_signature=False, extra: dict = None, drop: tuple = ()) -> str:
    """Return a token. Defaults give a valid member token; knobs break it:
    `secret` (other key), `bad_signature` (flip the signature), `exp`/`iat`/
    `nbf` (absolute unix seconds), `lifetime` (negative = already expired),
    `channel_id` (other channel), `perms`, `typ`, `aud`, `issuer`, `alg`
    ("HS512" signs with SHA-512, "none" leaves the signature empty), `drop`
    (claim names to leave out), `extra` (claims to add or override)."""
    now = int(time.time() if now is None else now)
    claims = {
        "typ": typ,
        "iss": issuer,
        "aud": list(aud) if isinstance(aud, (list, tuple)) else aud,
        "user_id": user_id,
        "channel_id": channel_id,
        "guild_id": guild_id,
        "perms": perms,
        "moved": moved,
        "iat": now if iat is _UNSET else iat,
        "exp": now + lifetime if exp is _UNSET else exp,
    }
    if nbf is not _UNSET:
        claims["nbf"] = nbf
    for name in drop:
        claims.pop(name, None)
    if extra:
        claims.update(extra)
    header = {"alg": alg, "typ": "JWT"}
    if alg == "none":
        return sign(header, claims, secret).rsplit(".", 1)[0] + "."
    token = sign(header, claims, secret,
                 digest=hashlib.sha512 if alg == "HS512" else hashlib.sha256)
    if bad_signature:
        head, sig = token.rsplit(".", 1)
        flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
        token = head + "." + flipped
    return token


def decode_unverified(token: str) -> dict:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def mint_admin(channel_id: int, *, secret: str = DEFAULT_SECRET, issuer: str = DEFAULT_ISSUER,
               lifetime: int = 120, now: float = None, typ="admin", aud=("sfu",),
               bad_signature=False, drop: tuple = (), extra: dict = None) -> str:
    """An admin token as GoChat's API issues it for POST /admin/channel/close
    (docs/operations.md, Closing a channel): typ "admin", aud ["sfu"], user_id 0, channel_id (0 =
    any channel), a 2-minute lifetime. Knobs as for `mint`."""
    now = int(time.time() if now is None else now)
    claims = {
        "user_id": 0,
        "typ": typ,
        "iss": issuer,
        "aud": list(aud) if isinstance(aud, (list, tuple)) else aud,
        "iat": now,
        "exp": now + lifetime,
        "channel_id": channel_id,
    }
    for name in drop:
        claims.pop(name, None)
    if extra:
        claims.update(extra)
    token = sign({"alg": "HS256", "typ": "JWT"}, claims, secret)
    if bad_signature:
        head, sig = token.rsplit(".", 1)
        token = head + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    return token
