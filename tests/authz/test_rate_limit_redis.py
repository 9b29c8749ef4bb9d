"""Sign-in, sign-up and reset rate limits live in Redis in production, so every web worker
shares one count (a per-process cache would multiply the allowance by the worker count)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.core.cache import cache
from django.test import Client


def _redis():
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    assert client is not None, (
        f"the cache is {type(cache).__name__}, not Redis: set REDIS_URL for the integration pass"
    )
    return client()


def _keys(redis, action: str) -> list[str]:
    return [k.decode() for k in redis.scan_iter(f"*allauth:rl:allauth.account:{action}:*")]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_keeps_the_login_reset_and_signup_counters_in_redis() -> None:
    redis = _redis()
    address = f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    email = f"nobody-{uuid.uuid4().hex[:10]}@example.org"
    browser = Client(REMOTE_ADDR=address)
    for _ in range(2):
        browser.post("/accounts/login/", {"login": email, "password": "wrong password 123"})
    browser.post("/accounts/password/reset/", {"email": email})
    browser.post("/accounts/signup/", {"email": email, "password1": "x", "password2": "y"})

    hashed = hashlib.sha256(f"testserver:{email}".encode()).hexdigest()
    login_keys = _keys(redis, "login_failed")
    assert any(k.endswith(f":ip:{address}") for k in login_keys), login_keys
    assert any(k.endswith(hashed) for k in login_keys), "per-address login counter missing"
    reset_hash = hashlib.sha256(email.encode()).hexdigest()
    assert any(k.endswith(reset_hash) for k in _keys(redis, "reset_password"))
    assert any(k.endswith(f":ip:{address}") for k in _keys(redis, "signup"))
    # Counters expire on their own: no key is kept forever.
    assert all(redis.ttl(k) > 0 for k in login_keys)
