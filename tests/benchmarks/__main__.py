"""`python -m tests.benchmarks ingest [--scale N]` — see README.md.

Creates the database `cm_bench` next to the one in DATABASE_URL (which must be PostgreSQL),
migrates it, runs the benchmarks and drops it again, also after a failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

DEFAULT_ENV = {
    "SECRET_KEY": "bench-k9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vb",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "EMAIL_HOST": "localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    # Production settings need Redis (cache, rate limits); the broker is replaced by an
    # in-memory one in tests/benchmarks/settings.py, so no job message is left behind.
    "REDIS_URL": "redis://127.0.0.1:6379/2",
}
BENCH_DB = "cm_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    # "series" (c) and "scores" create, fill and drop their own databases; see their --help.
    parser.add_argument("which", choices=["ingest", "series", "scores"])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="1 = 100,000 readings (a) and 2,000 single POSTs (b)",
    )
    parser.add_argument(
        "--only",
        choices=["a", "b"],
        help="ingest: run only (a) batch POSTs vs COPY or (b) single POSTs vs a bare view",
    )
    args, rest = parser.parse_known_args(argv)
    if args.which in ("series", "scores"):
        from tests.benchmarks import bench_scores, bench_series

        return (bench_series if args.which == "series" else bench_scores).main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "Set DATABASE_URL to a PostgreSQL database (the benchmarks create cm_bench beside it).",
            file=sys.stderr,
        )
        return 2
    import psycopg

    admin_url = url
    base, _, _ = url.rpartition("/")
    bench_url = f"{base}/{BENCH_DB}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = bench_url
    for key, value in DEFAULT_ENV.items():
        os.environ.setdefault(key, value)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.settings"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"# database {BENCH_DB} migrated in {time.monotonic() - started:.1f} s")
        if args.which in ("ingest", "all"):
            from tests.benchmarks import bench_ingest

            bench_ingest.run(scale=args.scale, database_url=bench_url, only=args.only)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        print(f"# database {BENCH_DB} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
