"""Importing a city's neighbourhoods from the files statistics offices publish.

Boundaries come from a GeoJSON FeatureCollection (one feature per neighbourhood, its code
in the feature property ``code``), figures from a CSV with exactly the columns in
``CSV_COLUMNS``. Parsing is plain functions on text, so every kind of bad file is tested
without a database; the one write, ``neighbourhoods_import``, is all or nothing.

A bad file never half-imports: every problem found in both files is collected and raised
together as one ``ImportProblem`` whose message names the file and the line (CSV) or the
feature index and code (GeoJSON), so a user fixes everything in one round.

Example::

    features = read_geojson("utrecht.geojson")
    rows = read_csv("utrecht.csv")
    report = neighbourhoods_import(city=utrecht, features=features, rows=rows)
    report.created, report.updated  # -> (['BU03440000', ...], [])
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from projects.models import City, Neighbourhood

CSV_COLUMNS = (
    "code",
    "name",
    "population",
    "mean_income",
    "age_0_24",
    "age_25_44",
    "age_45_64",
    "age_65_plus",
)
COUNT_COLUMNS = ("population", "age_0_24", "age_25_44", "age_45_64", "age_65_plus")
FIGURE_FIELDS = ("population", "mean_income", "age_0_24", "age_25_44", "age_45_64", "age_65_plus")
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
CODE_MAX_LENGTH = Neighbourhood._meta.get_field("code").max_length
NAME_MAX_LENGTH = Neighbourhood._meta.get_field("name").max_length
# Beyond this many, the rest of a broken file is summarised: nobody reads 10 000 lines.
MAX_REPORTED_PROBLEMS = 50


class ImportProblem(Exception):
    """One or more problems in the import files; nothing was written.

    ``problems`` holds one message per problem, each naming the file and where in it.
    """

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = self.problems[:MAX_REPORTED_PROBLEMS]
        lines = list(shown)
        if len(self.problems) > len(shown):
            lines.append(
                _("… and %(count)d more problems") % {"count": len(self.problems) - len(shown)}
            )
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Boundary:
    """One GeoJSON feature: the neighbourhood's code and its (valid) geometry."""

    code: str
    geometry: dict[str, Any]
    index: int  # position in the FeatureCollection, for messages


@dataclass(frozen=True)
class Figures:
    """One CSV row; None means the statistics office did not publish the figure."""

    code: str
    name: str
    population: int | None
    mean_income: float | None
    age_0_24: int | None
    age_25_44: int | None
    age_45_64: int | None
    age_65_plus: int | None
    line: int  # line in the CSV file, for messages

    def values(self) -> dict[str, Any]:
        return {"name": self.name, **{name: getattr(self, name) for name in FIGURE_FIELDS}}


@dataclass
class ImportReport:
    """What an import did, by neighbourhood code."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # In the database but not in the files: kept (readings may point into them), but shown.
    not_in_files: list[str] = field(default_factory=list)


# --- reading files -------------------------------------------------------------------


def read_text(path: str | Path, *, problems: list[str]) -> str | None:
    """The file's text (UTF-8, with or without BOM), or None after noting why it can't be read."""
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.append(_("%(file)s: file not found") % {"file": path})
    except OSError as error:
        problems.append(
            _("%(file)s: cannot read the file (%(error)s)") % {"file": path, "error": error}
        )
    except UnicodeDecodeError as error:
        problems.append(
            _("%(file)s: not UTF-8 text (byte %(position)d)")
            % {"file": path, "position": error.start}
        )
    return None


def read_files(
    geojson_path: str | Path, csv_path: str | Path
) -> tuple[list[Boundary], list[Figures]]:
    """Parse both files and check they describe the same neighbourhoods.

    Raises ImportProblem listing every problem found in either file.
    """
    problems: list[str] = []
    boundaries: list[Boundary] = []
    figures: list[Figures] = []
    geojson_text = read_text(geojson_path, problems=problems)
    csv_text = read_text(csv_path, problems=problems)
    if geojson_text is not None:
        boundaries = parse_geojson(geojson_text, filename=str(geojson_path), problems=problems)
    if csv_text is not None:
        figures = parse_csv(csv_text, filename=str(csv_path), problems=problems)
    if not problems:
        problems += match_codes(
            boundaries, figures, geojson_name=str(geojson_path), csv_name=str(csv_path)
        )
    if problems:
        raise ImportProblem(problems)
    return boundaries, figures


# --- GeoJSON -------------------------------------------------------------------------


def parse_geojson(text: str, *, filename: str, problems: list[str]) -> list[Boundary]:
    """The boundaries in a GeoJSON FeatureCollection; problems are appended, not raised."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(
            _("%(file)s, line %(line)d, column %(column)d: not valid JSON (%(error)s)")
            % {"file": filename, "line": error.lineno, "column": error.colno, "error": error.msg}
        )
        return []
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        problems.append(_("%(file)s: expected a GeoJSON FeatureCollection") % {"file": filename})
        return []
    features = document.get("features")
    if not isinstance(features, list):
        problems.append(
            _("%(file)s: the FeatureCollection has no list of features") % {"file": filename}
        )
        return []

    boundaries: list[Boundary] = []
    first_index: dict[str, int] = {}
    for index, feature in enumerate(features):
        boundary = parse_feature(feature, index=index, filename=filename, problems=problems)
        if boundary is None:
            continue
        if boundary.code in first_index:
            problems.append(
                _("%(file)s, feature %(index)d: code %(code)s already used by feature %(first)d")
                % {
                    "file": filename,
                    "index": index,
                    "code": boundary.code,
                    "first": first_index[boundary.code],
                }
            )
            continue
        first_index[boundary.code] = index
        boundaries.append(boundary)
    if not features:
        problems.append(_("%(file)s: the FeatureCollection has no features") % {"file": filename})
    return boundaries


def parse_feature(
    feature: Any, *, index: int, filename: str, problems: list[str]
) -> Boundary | None:
    """One feature as a Boundary, or None after noting what is wrong with it."""
    where = _("%(file)s, feature %(index)d") % {"file": filename, "index": index}
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(_("%(where)s: not a GeoJSON Feature") % {"where": where})
        return None
    properties = feature.get("properties") or {}
    code = properties.get("code") if isinstance(properties, dict) else None
    if isinstance(code, int | float) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code.strip():
        problems.append(_('%(where)s: no property "code"') % {"where": where})
        return None
    code = code.strip()
    where = _("%(file)s, feature %(index)d (code %(code)s)") % {
        "file": filename,
        "index": index,
        "code": code,
    }
    if len(code) > CODE_MAX_LENGTH:
        problems.append(
            _("%(where)s: the code is longer than %(max)d characters")
            % {"where": where, "max": CODE_MAX_LENGTH}
        )
        return None
    message = geometry_problem(feature.get("geometry"))
    if message:
        problems.append(f"{where}: {message}")
        return None
    geometry = feature["geometry"]
    return Boundary(
        code=code,
        geometry={"type": geometry["type"], "coordinates": geometry["coordinates"]},
        index=index,
    )


def geometry_problem(geometry: Any) -> str | None:
    """Why `geometry` is not a usable neighbourhood boundary, or None if it is.

    Boundaries feed point-in-polygon placement and area shares; an invalid polygon
    (self-intersecting, unclosed ring) gives wrong answers silently there, so it is refused here.
    """
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        return _("the geometry must be a Polygon or MultiPolygon, not %(kind)s") % {"kind": kind}
    try:
        shapely_geometry = shape(geometry)
    except Exception as error:  # shapely raises several types for malformed coordinates
        return _("malformed coordinates (%(error)s)") % {"error": error}
    if shapely_geometry.is_empty:
        return _("the polygon is empty")
    if not shapely_geometry.is_valid:
        return _("invalid polygon (%(reason)s)") % {"reason": explain_validity(shapely_geometry)}
    min_lon, min_lat, max_lon, max_lat = shapely_geometry.bounds
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        return _("coordinates are not longitude/latitude (WGS 84)")
    return None


# --- CSV -----------------------------------------------------------------------------


def parse_csv(text: str, *, filename: str, problems: list[str]) -> list[Figures]:
    """The figures in a neighbourhood CSV; problems are appended, not raised."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        problems.append(
            _("%(file)s, line 1: malformed CSV (%(error)s)") % {"file": filename, "error": error}
        )
        return []
    if header is None:
        problems.append(_("%(file)s: the file is empty") % {"file": filename})
        return []
    header = [column.strip() for column in header]
    if not header_ok(header, filename=filename, problems=problems):
        return []

    figures: list[Figures] = []
    first_line: dict[str, int] = {}
    while True:
        # A quoted cell may span lines: a record is named by the line it starts on.
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(
                _("%(file)s, line %(line)d: malformed CSV (%(error)s)")
                % {"file": filename, "line": line, "error": error}
            )
            break  # after a quoting error the rest of the file cannot be trusted
        if not any(cell.strip() for cell in cells):
            continue
        row = parse_row(cells, header=header, line=line, filename=filename, problems=problems)
        if row is None:
            continue
        if row.code in first_line:
            problems.append(
                _("%(file)s, line %(line)d: code %(code)s already used on line %(first)d")
                % {"file": filename, "line": line, "code": row.code, "first": first_line[row.code]}
            )
            continue
        first_line[row.code] = line
        figures.append(row)
    if not figures and not problems:
        problems.append(_("%(file)s: no neighbourhoods after the header") % {"file": filename})
    return figures


def header_ok(header: list[str], *, filename: str, problems: list[str]) -> bool:
    """Whether the header has exactly CSV_COLUMNS (in any order); notes each difference."""
    where = _("%(file)s, line 1") % {"file": filename}
    ok = True
    for column in sorted({c for c in header if header.count(c) > 1}):
        problems.append(
            _("%(where)s: column %(column)s appears twice") % {"where": where, "column": column}
        )
        ok = False
    for column in header:
        if column not in CSV_COLUMNS:
            problems.append(
                _("%(where)s: unknown column %(column)r (expected %(expected)s)")
                % {"where": where, "column": column, "expected": ",".join(CSV_COLUMNS)}
            )
            ok = False
    for column in CSV_COLUMNS:
        if column not in header:
            problems.append(
                _("%(where)s: missing column %(column)s") % {"where": where, "column": column}
            )
            ok = False
    return ok


def parse_row(
    cells: list[str], *, header: list[str], line: int, filename: str, problems: list[str]
) -> Figures | None:
    """One CSV row as Figures, or None after noting every problem in it."""
    where = _("%(file)s, line %(line)d") % {"file": filename, "line": line}
    if len(cells) != len(header):
        problems.append(
            _("%(where)s: malformed CSV (%(found)d cells, expected %(expected)d)")
            % {"where": where, "found": len(cells), "expected": len(header)}
        )
        return None
    raw = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
    before = len(problems)
    code = raw["code"]
    if not code:
        problems.append(_("%(where)s: the code is empty") % {"where": where})
    elif len(code) > CODE_MAX_LENGTH:
        problems.append(
            _("%(where)s: the code is longer than %(max)d characters")
            % {"where": where, "max": CODE_MAX_LENGTH}
        )
    # An unnamed area is still a real area: it is shown by its code rather than refused.
    name = raw["name"] or code
    if len(name) > NAME_MAX_LENGTH:
        problems.append(
            _("%(where)s: the name is longer than %(max)d characters")
            % {"where": where, "max": NAME_MAX_LENGTH}
        )
    values: dict[str, Any] = {}
    for column in FIGURE_FIELDS:
        values[column] = parse_number(
            raw[column],
            integer=column in COUNT_COLUMNS,
            where=where,
            column=column,
            problems=problems,
        )
    if len(problems) > before:
        return None
    return Figures(code=code, name=name, line=line, **values)


def parse_number(
    text: str, *, integer: bool, where: str, column: str, problems: list[str]
) -> int | float | None:
    """A non-negative number from a cell; an empty cell is unknown (None), never zero."""
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        problems.append(
            _("%(where)s: %(column)s is not a number: %(text)r")
            % {"where": where, "column": column, "text": text}
        )
        return None
    if value < 0:
        problems.append(
            _("%(where)s: %(column)s is negative: %(text)s")
            % {"where": where, "column": column, "text": text}
        )
        return None
    if integer:
        if not value.is_integer():
            problems.append(
                _("%(where)s: %(column)s must be a whole number: %(text)s")
                % {"where": where, "column": column, "text": text}
            )
            return None
        return int(value)
    return value


# --- both files ----------------------------------------------------------------------


def match_codes(
    boundaries: Sequence[Boundary], figures: Sequence[Figures], *, geojson_name: str, csv_name: str
) -> list[str]:
    """One message per code that is in one file but not the other."""
    boundary_codes = {b.code: b for b in boundaries}
    figure_codes = {f.code: f for f in figures}
    problems = []
    for code, boundary in boundary_codes.items():
        if code not in figure_codes:
            problems.append(
                _("%(file)s, feature %(index)d: code %(code)s is not in %(other)s")
                % {"file": geojson_name, "index": boundary.index, "code": code, "other": csv_name}
            )
    for code, row in figure_codes.items():
        if code not in boundary_codes:
            problems.append(
                _("%(file)s, line %(line)d: code %(code)s is not in %(other)s")
                % {"file": csv_name, "line": row.line, "code": code, "other": geojson_name}
            )
    return problems


# --- the write -----------------------------------------------------------------------


@transaction.atomic
def neighbourhoods_import(
    *,
    city: City,
    features: Sequence[Boundary],
    rows: Sequence[Figures],
    synthetic: bool = False,
    geojson_name: str = "GeoJSON",
    csv_name: str = "CSV",
) -> ImportReport:
    """Create or update `city`'s neighbourhoods from parsed files, all or nothing.

    Neighbourhoods are matched by (city, code) and updated in place, so ids (and whatever
    points at them) survive a re-import with newer figures. Neighbourhoods missing from the
    files are kept and listed in the report rather than deleted.
    """
    problems = match_codes(features, rows, geojson_name=geojson_name, csv_name=csv_name)
    if problems:
        raise ImportProblem(problems)
    geometry_by_code = {f.code: f.geometry for f in features}
    existing = {n.code: n for n in Neighbourhood.objects.select_for_update().filter(city=city)}
    report = ImportReport()
    to_create: list[Neighbourhood] = []
    to_update: list[Neighbourhood] = []
    for row in rows:
        values = {**row.values(), "boundary": geometry_by_code[row.code], "synthetic": synthetic}
        neighbourhood = existing.get(row.code)
        if neighbourhood is None:
            to_create.append(Neighbourhood(city=city, code=row.code, **values))
            report.created.append(row.code)
        elif _assign_changes(neighbourhood, values):
            to_update.append(neighbourhood)
            report.updated.append(row.code)
        else:
            report.unchanged.append(row.code)
    Neighbourhood.objects.bulk_create(to_create)
    if to_update:
        Neighbourhood.objects.bulk_update(
            to_update, ["name", "boundary", "synthetic", *FIGURE_FIELDS]
        )
    seen = {row.code for row in rows}
    report.not_in_files = sorted(code for code in existing if code not in seen)
    return report


def _assign_changes(instance: Neighbourhood, values: dict[str, Any]) -> bool:
    """Set `values` on `instance`; True if any differed (so unchanged rows are not rewritten)."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed
