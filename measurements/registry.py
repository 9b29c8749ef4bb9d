"""The quantity registry as ingestion checks readings against it, kept per process.

Every reading is checked against its quantity's unit and limits. Reading the registry from
the database for each request was one round trip of the three a device's single-reading
POST made (13 % of a web worker's time under load; tests/benchmarks/RESULTS.md). Quantities
change only with a data migration or from a shell (they are not editable in the admin), so
each process keeps the registry for REGISTRY_TTL seconds; a quantity saved or deleted in the
same process empties it at once, another process sees the change within REGISTRY_TTL.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import MappingProxyType

from django.db import transaction

from measurements.models import Quantity
from measurements.validation import QuantityInfo

REGISTRY_TTL = 60.0  # seconds

# (time.monotonic() until which it holds, the registry by code), or None when not read yet.
_kept: tuple[float, Mapping[str, QuantityInfo]] | None = None


def quantity_registry() -> Mapping[str, QuantityInfo]:
    """Every quantity by its code, as validation needs it (read-only)."""
    global _kept
    now = time.monotonic()
    if _kept is None or now >= _kept[0]:
        _kept = (now + REGISTRY_TTL, MappingProxyType(_read()))
    return _kept[1]


def registry_clear() -> None:
    """Read the registry again on next use."""
    global _kept
    _kept = None


def quantity_changed(**_signal_kwargs) -> None:
    """A quantity was saved or deleted: read the registry again now, for the rest of the
    saving transaction, and once more after it commits, so that a read in between does not
    keep the values from before the commit."""
    registry_clear()
    transaction.on_commit(registry_clear)


def _read() -> dict[str, QuantityInfo]:
    fields = ("id", "code", "unit", "hard_min", "hard_max", "plausible_min", "plausible_max")
    return {
        code: QuantityInfo(qid, code, *rest)
        for qid, code, *rest in Quantity.objects.order_by().values_list(*fields)
    }
