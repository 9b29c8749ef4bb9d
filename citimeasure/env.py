"""Small helpers that read settings from the environment and fail loudly.

Every helper raises ImproperlyConfigured naming the variable, so a bad deployment stops at
start-up with a message an operator can act on, instead of running with a silent default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None):
    """Return the variable's value, or `default` when unset."""
    environ = os.environ if environ is None else environ
    return environ.get(name, default)


def env_required(name: str, *, environ: Mapping[str, str] | None = None) -> str:
    """Return the variable's value; raise if it is unset or empty."""
    value = env_str(name, environ=environ)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set (it has no default in production).")
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """Return a boolean: 1/true/yes/on or 0/false/no/off, anything else is an error."""
    raw = env_str(name, environ=environ)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, *, environ: Mapping[str, str] | None = None) -> int:
    """Return an integer; a value that is not a whole number is an error."""
    raw = env_str(name, environ=environ)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None):
    """Return a comma-separated list, blanks dropped."""
    raw = env_str(name, environ=environ)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, *, environ: Mapping[str, str] | None = None) -> dict:
    """Parse a PostgreSQL URL such as postgres://user:pass@host:5432/db."""
    raw = env_required(name, environ=environ)
    if not raw.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"{name} must be a PostgreSQL URL like postgres://user:password@host:5432/name, "
            f"not {raw.split(':', 1)[0]!r}."
        )
    try:
        # Django's PostgreSQL backend with a health check that skips the `SELECT 1` round
        # trip when the server has said nothing (citimeasure/db/base.py).
        config = dj_database_url.parse(
            raw, engine="citimeasure.db", conn_max_age=60, conn_health_checks=True
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database (…/dbname at the end).")
    return config


def env_redis(name: str, *, environ: Mapping[str, str] | None = None) -> str:
    """Return a redis:// or rediss:// URL."""
    raw = env_required(name, environ=environ)
    if not raw.startswith(("redis://", "rediss://")):
        # Name only the scheme: the rest of a URL may hold a password that must not reach logs.
        raise ImproperlyConfigured(
            f"{name} must be a redis:// or rediss:// URL like redis://host:6379/0, "
            f"not {raw.split(':', 1)[0]!r}."
        )
    return raw


def env_secret_key(name: str, *, debug: bool, environ: Mapping[str, str] | None = None) -> str:
    """Return the secret key; only DEBUG may fall back to a fixed development key."""
    raw = env_str(name, environ=environ)
    if not raw:
        if debug:
            return "insecure-development-key-only-used-when-DEBUG-is-on-0123456789"
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    if not debug and (len(raw) < 50 or len(set(raw)) < 5):
        raise ImproperlyConfigured(f"{name} must be at least 50 random characters.")
    return raw
