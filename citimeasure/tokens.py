"""Secrets for API and device tokens: random 32 bytes, shown once, stored as SHA-256.

A token reads `<prefix>.<secret>`; the 8-character prefix is not secret and finds the row,
the digest of the whole token is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX_LENGTH = 8


def token_generate() -> tuple[str, str, str]:
    """Return (token, prefix, digest) for a new token.

    >>> token, prefix, digest = token_generate()
    >>> token.startswith(prefix + ".") and len(digest) == 64
    True
    """
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    return token, prefix, token_digest(token)


def token_digest(token: str) -> str:
    """SHA-256 hex digest of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    """The lookup prefix of a presented token, or None when it is not shaped like one."""
    prefix, dot, rest = token.partition(".")
    if not dot or len(prefix) != PREFIX_LENGTH or not rest:
        return None
    return prefix


def token_matches(token: str, digest: str) -> bool:
    """Compare a presented token with a stored digest in constant time."""
    return hmac.compare_digest(token_digest(token), digest)
