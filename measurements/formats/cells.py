"""Spreadsheet-safe CSV cells (formula injection, OWASP "CSV injection")."""

from __future__ import annotations

from typing import Any

# A spreadsheet treats a cell starting with one of these as a formula (tab and CR too:
# some programs strip them and then see the formula behind).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralise(value: Any) -> Any:
    """Make a text cell inert for spreadsheets by prefixing a single quote; numbers stay numbers.

    Only text is changed, so a negative number written as a float (-3.5) stays a number a
    spreadsheet can compute with, while the text "-3+cmd|' /C calc'!A0" becomes "'-3+cmd…".

    >>> cell_neutralise("=SUM(A1)"), cell_neutralise(-3.5), cell_neutralise("pm25")
    ("'=SUM(A1)", -3.5, 'pm25')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row_neutralise(values: list[Any]) -> list[Any]:
    """`cell_neutralise` applied to every cell of a row."""
    return [cell_neutralise(v) for v in values]
