"""Settings come from the environment and a bad deployment stops at start-up, naming the variable.

The settings module does its checks at import time, so the honest test is a fresh Python
process with a controlled environment running `django.setup()`, exactly as gunicorn or
`manage.py` would. The processes run in parallel (once per module) to keep this fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from citimeasure import env

BASE_DIR = Path(__file__).resolve().parents[2]

#: A complete production-like environment; each case below breaks one variable of it.
PRODUCTION = {
    "DATABASE_URL": "postgres://citimeasure:secret@127.0.0.1:5432/citimeasure",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": "k3y-" + "x8Vq2Lm9Rt4Zp7Wn1Bc6Hd3Jf5Gs0Ky" * 2,
    "ALLOWED_HOSTS": "citimeasure.example.org",
    "EMAIL_HOST": "smtp.example.org",
}

#: case → (variable the error must name, overrides; None removes the variable)
BROKEN: dict[str, tuple[str, dict[str, str | None]]] = {
    "database-url-mysql": (
        "DATABASE_URL",
        {"DATABASE_URL": "mysql://u:p@db.example.org/citimeasure"},
    ),
    "database-url-nonsense": ("DATABASE_URL", {"DATABASE_URL": "nonsense"}),
    "database-url-no-name": ("DATABASE_URL", {"DATABASE_URL": "postgres://u:p@127.0.0.1:5432"}),
    "secret-key-missing": ("SECRET_KEY", {"SECRET_KEY": None}),
    "secret-key-too-short": ("SECRET_KEY", {"SECRET_KEY": "not-random-enough"}),
    "allowed-hosts-missing": ("ALLOWED_HOSTS", {"ALLOWED_HOSTS": None}),
    "allowed-hosts-blank": ("ALLOWED_HOSTS", {"ALLOWED_HOSTS": " , "}),
    "redis-url-missing": ("REDIS_URL", {"REDIS_URL": None}),
    "redis-url-malformed": ("REDIS_URL", {"REDIS_URL": "127.0.0.1:6379"}),
    "email-host-missing": ("EMAIL_HOST", {"EMAIL_HOST": None}),
    "debug-maybe": ("DEBUG", {"DEBUG": "maybe"}),
    "email-port-abc": ("EMAIL_PORT", {"EMAIL_PORT": "abc"}),
    # DEBUG off without a database URL (SQLite) still needs a real secret key.
    "embedded-debug-off-no-secret": (
        "SECRET_KEY",
        {"DATABASE_URL": None, "DEBUG": "false", "SECRET_KEY": None},
    ),
}

#: Prints the facts a test checks after a successful start.
REPORT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
    "s.EMAIL_BACKEND, s.CACHES['default']['BACKEND'], sep='|')"
)


def _run(overrides: dict[str, str | None], *, base: dict[str, str]) -> subprocess.CompletedProcess:
    """Start Django in a fresh process with only `base` + `overrides` in the environment.

    The parent's environment is not inherited: in the second CI pass DATABASE_URL and
    REDIS_URL are set there, and they must not leak into the cases.
    """
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1"}
    environ |= base
    for name, value in overrides.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    environ["DJANGO_SETTINGS_MODULE"] = "citimeasure.settings"
    return subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def outcomes() -> dict[str, subprocess.CompletedProcess]:
    """Every case's process, started together so the module costs about one start-up."""
    jobs = {name: (overrides, PRODUCTION) for name, (_var, overrides) in BROKEN.items()}
    jobs["production"] = ({}, PRODUCTION)
    jobs["embedded"] = ({}, {})
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(_run, overrides, base=base)
            for name, (overrides, base) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_it_refuses_to_start_naming_the_bad_variable(outcomes, case: str) -> None:
    """An operator must learn from the first line of the error which variable to fix."""
    variable, _overrides = BROKEN[case]
    result = outcomes[case]
    error = _last_line(result.stderr)
    assert result.returncode != 0, result.stdout
    assert error.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr[-2000:]
    assert variable in error


def test_it_does_not_echo_secrets_in_configuration_errors(outcomes) -> None:
    """Start-up errors end up in logs; a password inside a bad URL must not be printed."""
    assert "u:p@" not in outcomes["database-url-mysql"].stderr


def test_it_starts_in_production_mode_with_every_variable_set(outcomes) -> None:
    """The complete production environment is accepted: PostgreSQL, Redis cache, real Celery."""
    result = outcomes["production"]
    assert result.returncode == 0, result.stderr[-2000:]
    debug, engine, eager, email, cache = result.stdout.strip().split("|")
    assert debug == "False"
    assert engine == "citimeasure.db"
    assert eager == "False"
    assert email == "django.core.mail.backends.smtp.EmailBackend"
    assert cache == "django.core.cache.backends.redis.RedisCache"


def test_it_runs_embedded_with_no_environment_at_all(outcomes) -> None:
    """A fresh clone needs nothing set: SQLite, Celery in-process, e-mail on the console."""
    result = outcomes["embedded"]
    assert result.returncode == 0, result.stderr[-2000:]
    debug, engine, eager, email, cache = result.stdout.strip().split("|")
    assert debug == "True"
    assert engine == "django.db.backends.sqlite3"
    assert eager == "True"
    assert email == "django.core.mail.backends.console.EmailBackend"
    assert cache == "django.core.cache.backends.locmem.LocMemCache"


# The helpers on their own: quick, and they pin the messages the subprocesses rely on.


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_it_rejects_a_boolean_that_is_neither_true_nor_false(raw: str) -> None:
    """'DEBUG=maybe' must not silently mean False (or True)."""
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env.env_bool("DEBUG", False, environ={"DEBUG": raw})


def test_it_accepts_the_usual_spellings_of_booleans() -> None:
    """Operators write 1/0, true/false, yes/no, on/off in any case."""
    assert env.env_bool("X", False, environ={"X": "ON"}) is True
    assert env.env_bool("X", True, environ={"X": "no"}) is False
    assert env.env_bool("X", True, environ={}) is True


def test_it_parses_a_postgres_url_into_a_database_setting() -> None:
    """psycopg 3 via Django's postgresql backend (its cheaper health check: citimeasure.db),
    with health-checked persistent connections."""
    config = env.env_database(
        "DATABASE_URL", environ={"DATABASE_URL": "postgresql://u:p@db:6543/cm"}
    )
    assert config["ENGINE"] == "citimeasure.db"
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db", 6543, "cm")


def test_it_requires_a_long_secret_key_only_when_debug_is_off() -> None:
    """Development may use the fixed key; production may not use it or any short key."""
    assert env.env_secret_key("SECRET_KEY", debug=True, environ={})
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env.env_secret_key("SECRET_KEY", debug=False, environ={})
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env.env_secret_key("SECRET_KEY", debug=False, environ={"SECRET_KEY": "a" * 60})
