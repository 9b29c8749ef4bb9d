"""Benchmarks (not tests: pytest does not collect bench_*.py). Run with
`python -m tests.benchmarks ingest --scale N` against PostgreSQL; see README.md."""
