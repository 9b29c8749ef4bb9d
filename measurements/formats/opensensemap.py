"""openSenseMap upload formats → reading rows. Pure functions.

senseBox firmware and openSenseMap scripts post to ``/boxes/{box}/data`` one of:

- JSON array: ``[{"sensor": "5a…", "value": 12.3, "createdAt": "…Z", "location": […]}]``
- JSON object: ``{"5a…": 12.3}`` or ``{"5a…": [12.3, "2024-05-01T12:00:00Z", [lng, lat]]}``
- CSV lines: ``sensor_id,value[,createdAt[,lng,lat[,height]]]``

Each openSenseMap sensor id is mapped to one of our quantities through the ids registered
on our sensor. A location in the payload is ignored: our sensor's registered location (and
its privacy setting) decides what is published, and a per-reading position from a home
station would be an exact home address we must not store next to open data.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from measurements.validation import Rejection


class PayloadError(ValueError):
    """The body is not one of the openSenseMap upload formats."""


def items_from_json(payload: Any) -> list[tuple[Any, Any, Any]]:
    """(openSenseMap sensor id, value, createdAt or None) per measurement in a JSON body."""
    if isinstance(payload, list):
        items = []
        for entry in payload:
            if isinstance(entry, Mapping):
                items.append((entry.get("sensor"), entry.get("value"), entry.get("createdAt")))
            else:
                items.append((None, None, None))
        return items
    if isinstance(payload, Mapping):
        items = []
        for sensor_id, value in payload.items():
            if isinstance(value, list):
                items.append((sensor_id, value[0] if value else None, (value + [None])[1]))
            else:
                items.append((sensor_id, value, None))
        return items
    raise PayloadError("Send a JSON array of measurements, a JSON object or CSV lines.")


def items_from_csv(text: str) -> list[tuple[Any, Any, Any]]:
    """(sensor id, value, createdAt or None) per non-empty CSV line (location cells ignored)."""
    items = []
    for cells in csv.reader(text.splitlines()):
        if not cells or not any(c.strip() for c in cells):
            continue
        cells = [c.strip() for c in cells]
        value = cells[1] if len(cells) > 1 else None
        created_at = cells[2] if len(cells) > 2 and cells[2] else None
        items.append((cells[0], value, created_at))
    return items


def rows_for_box(
    items: list[tuple[Any, Any, Any]],
    *,
    sensor_pk: int,
    quantity_codes: Mapping[str, str],
    received_at: datetime,
) -> list[dict[str, Any] | Rejection]:
    """A reading row (for `readings_ingest`) or a Rejection per item, in order.

    Example: with ``quantity_codes={"5a1": "pm25"}``, the item ``("5a1", "7.5", None)``
    becomes ``{"sensor": sensor_pk, "quantity": "pm25", "value": "7.5", "time": <arrival>}``
    and ``("zz", 1, None)`` a Rejection with code ``unknown_sensor``.
    """
    rows: list[dict[str, Any] | Rejection] = []
    for index, (sensor_id, value, created_at) in enumerate(items):
        code = quantity_codes.get(sensor_id) if isinstance(sensor_id, str) else None
        if code is None:
            rows.append(
                Rejection(
                    index,
                    "unknown_sensor",
                    f"Row {index}: openSenseMap sensor {sensor_id!r} is not registered "
                    "on this box's sensor.",
                )
            )
            continue
        time = created_at if created_at is not None else received_at.isoformat()
        rows.append({"sensor": sensor_pk, "quantity": code, "time": time, "value": value})
    return rows
