"""The signature of a delivery: `X-RHMS-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

The timestamp is inside the signed text, so a receiver that refuses old timestamps also refuses replays.
"""

import hashlib
import hmac
import secrets


def new_secret() -> str:
    """A new endpoint's signing secret: 32 random bytes, prefixed "whsec_" so that people recognize it."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
