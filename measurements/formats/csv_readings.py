"""The CSV upload format: a header line, then one reading per line.

Columns (any order, header required, names case-insensitive): ``sensor,quantity,time,value``
and optionally ``unit``. Times carry an offset, or are read in the zone declared with the
upload. One record per line: quoted fields spanning lines are not supported, which is what
lets the job seek to a byte offset and resume there.
"""

from __future__ import annotations

import csv
from typing import Any
from zoneinfo import ZoneInfo

from measurements.validation import Rejection, parse_local_time

REQUIRED = ("sensor", "quantity", "time", "value")
OPTIONAL = ("unit",)


class CsvHeaderError(ValueError):
    """The header line is missing a column or names one we do not know."""


def header_parse(line: str) -> list[str]:
    """The column names of the header line, checked.

    >>> header_parse("sensor,quantity,time,value,unit\\n")
    ['sensor', 'quantity', 'time', 'value', 'unit']
    """
    names = [n.strip().lower() for n in next(csv.reader([line.lstrip("\ufeff")]), [])]
    missing = [n for n in REQUIRED if n not in names]
    unknown = [n for n in names if n not in REQUIRED + OPTIONAL]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if duplicated:
        problems.append(f"repeated column(s) {', '.join(duplicated)}")
    if problems:
        raise CsvHeaderError(
            "Line 1 (the header): "
            + "; ".join(problems)
            + ". Expected sensor,quantity,time,value and optionally unit."
        )
    return names


def line_row(line: str, *, columns: list[str], tz: ZoneInfo | None, line_no: int) -> dict:
    """One data line as a row for `readings_ingest`, its time normalised to UTC ISO 8601.

    The time is settled here (not in the ingestion service) because only an upload may
    declare a zone; the API keeps rejecting times without an offset. Raises Rejection,
    numbered by the file's line, so the error report points at the line to fix.
    """
    cells = next(csv.reader([line]), [])
    if len(cells) != len(columns):
        raise Rejection(
            line_no,
            "columns_mismatch",
            f"Line {line_no}: expected {len(columns)} cells, found {len(cells)}.",
        )
    row: dict[str, Any] = {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}
    try:
        time = parse_local_time(row["time"], tz=tz, index=line_no)
    except Rejection as rejection:
        message = rejection.message.replace("Row", "Line", 1)
        raise Rejection(line_no, rejection.code, message) from None
    row["time"] = time.isoformat()
    if not row.get("unit"):
        row.pop("unit", None)
    return row
