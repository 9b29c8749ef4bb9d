"""Input units and how they convert to each canonical unit.

An input unit is accepted only when it is listed for the quantity's canonical unit;
an unknown unit is rejected, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable


def _same(value: float) -> float:
    return value


def _scale(factor: float) -> Callable[[float], float]:
    return lambda value: value * factor


# canonical unit → {accepted spelling: converter to the canonical unit}
CONVERSIONS: dict[str, dict[str, Callable[[float], float]]] = {
    "µg/m³": {
        "µg/m³": _same,
        "ug/m3": _same,
        "µg/m3": _same,
        "ug/m³": _same,
        "μg/m³": _same,
        "mg/m³": _scale(1000),
        "mg/m3": _scale(1000),
    },
    "°C": {
        "°C": _same,
        "C": _same,
        "degC": _same,
        "celsius": _same,
        "°F": lambda f: (f - 32) * 5 / 9,
        "F": lambda f: (f - 32) * 5 / 9,
        "degF": lambda f: (f - 32) * 5 / 9,
        "K": lambda k: k - 273.15,
    },
    "hPa": {"hPa": _same, "mbar": _same, "Pa": _scale(0.01), "kPa": _scale(10)},
    "%": {"%": _same, "percent": _same},
    "dB(A)": {"dB(A)": _same, "dBA": _same, "dB": _same},
    "mm": {"mm": _same, "cm": _scale(10), "in": _scale(25.4)},
    "count": {"count": _same},
}


class UnknownUnit(ValueError):
    """The unit is not one we know how to convert to the canonical unit."""


def unit_convert(value: float, *, unit: str | None, canonical: str) -> float:
    """`value` given in `unit` expressed in `canonical`; no unit means it already is.

    >>> unit_convert(101325, unit="Pa", canonical="hPa")
    1013.25
    >>> round(unit_convert(68, unit="°F", canonical="°C"), 6)
    20.0
    """
    if unit is None or unit == "" or unit == canonical:
        return value
    converter = CONVERSIONS.get(canonical, {}).get(unit.strip())
    if converter is None:
        raise UnknownUnit(unit)
    return converter(value)
