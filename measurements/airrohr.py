"""Sensor.Community (airrohr) firmware payloads → our reading rows. Pure functions.

The firmware's "send to own API" option posts
``{"esp8266id": "...", "software_version": "...", "sensordatavalues": [{"value_type": "SDS_P1",
"value": "12.3"}, ...]}``. Value types are prefixed by the sensor model; the suffix says
what was measured. Diagnostic values (signal, samples, timings, GPS) are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

# suffix (or whole value type) → (quantity code, unit the firmware sends)
SUFFIXES: dict[str, tuple[str, str | None]] = {
    "P0": ("pm1", None),
    "P1": ("pm10", None),
    "P2": ("pm25", None),
    "temperature": ("temperature", None),
    "humidity": ("humidity", None),
    "pressure": ("pressure", "Pa"),
    "noise_LAeq": ("noise_laeq", None),
    "noise_LA_max": ("noise_lamax", None),
}


def chip_id(header: str | None) -> str | None:
    """The chip id from an ``X-Sensor: esp8266-1234567`` (or ``esp32-…``) header."""
    if not header:
        return None
    _, dash, rest = header.strip().partition("-")
    return rest if dash and rest else None


def quantity_for(value_type: str) -> tuple[str, str | None] | None:
    """Map a firmware value type to (quantity code, unit), or None for a value we ignore.

    >>> quantity_for("SDS_P1"), quantity_for("BME280_pressure"), quantity_for("signal")
    (('pm10', None), ('pressure', 'Pa'), None)
    """
    if value_type in SUFFIXES:
        return SUFFIXES[value_type]
    _, underscore, suffix = value_type.partition("_")
    return SUFFIXES.get(suffix) if underscore else None


def airrohr_rows(payload: Any, *, sensor_id: int, received_at: datetime) -> list[dict[str, Any]]:
    """Reading rows for the ingestion service, time-stamped on arrival (the firmware sends none).

    Raises ValueError when the payload is not shaped like the firmware's.
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("sensordatavalues"), list):
        raise ValueError("Expected a JSON object with a 'sensordatavalues' list.")
    rows = []
    for item in payload["sensordatavalues"]:
        if not isinstance(item, Mapping) or not isinstance(item.get("value_type"), str):
            continue
        mapped = quantity_for(item["value_type"])
        if mapped is None:
            continue
        code, unit = mapped
        row = {
            "sensor": sensor_id,
            "quantity": code,
            "time": received_at.isoformat(),
            "value": item.get("value"),
        }
        if unit:
            row["unit"] = unit
        rows.append(row)
    return rows
