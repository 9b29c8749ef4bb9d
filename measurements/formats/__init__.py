"""Ingestion and export formats: pure functions on plain data (no ORM, no request)."""
