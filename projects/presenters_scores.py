"""Shapes of stored scores for pages and the API (callers pass projects the user may see).

Explanations are re-rendered from the stored figures in the active language. The age-band
distribution behind representativeness only appears for the project's own members and only
from 10 answers on; nothing here ever returns it to anyone else.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from projects import scoring
from projects.choices import AgeBand, MembershipState, Moderation, Theme
from projects.explanations import (
    COMPONENT_NAMES,
    METRIC_HELP,
    METRIC_NAMES,
    NOT_ENOUGH_DATA,
    explain,
    explain_city_equity,
)
from projects.models import CityStat, Membership, Project, Score, ScoreKind

COMPONENT_ORDER = ("spatial_equity", "representativeness", "access")
METRIC_ORDER = (
    "active_sensors",
    "participants",
    "completeness",
    "quality",
    "coverage",
    "openness",
    "participation",
    "inclusivity",
    "longevity",
    "impact",
)
SHARE_METRICS = {"completeness", "quality", "coverage"}

#: The functions whose docstrings make up the "How are scores computed?" page, in order.
METHOD_FUNCTIONS = (
    scoring.concentration_index,
    scoring.spatial_equity,
    scoring.quintile_shares,
    scoring.representativeness,
    scoring.dissimilarity,
    scoring.access_process,
    scoring.weighted_mean,
    scoring.population_weighted_mean,
    scoring.coverage,
    scoring.openness,
    scoring.longevity_months,
    scoring.percentile_rank,
    scoring.peer_group,
    scoring.comparison,
    scoring.profile_vector,
    scoring.cosine_similarity,
    scoring.per_ten_thousand,
)


def method_sections() -> list[dict]:
    """The docstring of every scoring function, exactly as the code carries it."""
    return [{"name": fn.__name__, "doc": inspect.getdoc(fn)} for fn in METHOD_FUNCTIONS]


def _components(stored: dict) -> list[dict]:
    rows = []
    for name in COMPONENT_ORDER:
        part = stored.get(name)
        if part is None:
            continue
        rows.append(
            {
                "key": name,
                "label": str(COMPONENT_NAMES[name]),
                "value": part.get("value"),
                "weight": part.get("weight"),
                "explanation": explain(name, part.get("params", {})),
            }
        )
    return rows


def score_row(score: Score) -> dict:
    """One stored score as the pages and the API show it."""
    row = {
        "kind": score.kind,
        "city": score.city.slug if score.city_id else None,
        "city_name": score.city.name if score.city_id else None,
        "value": score.value,
        "method": score.method,
        "day": score.day.isoformat(),
        "computed_at": score.computed_at.isoformat(),
    }
    if score.kind == ScoreKind.INCLUSIVITY and score.city_id:
        row["components"] = [
            # Stored figures are counts and shares only: per-band answers are never stored.
            {**c, "params": score.components[c["key"]].get("params", {})}
            for c in _components(score.components)
        ]
    elif score.kind == ScoreKind.INCLUSIVITY:
        row["per_city"] = score.components.get("per_city", [])
    else:
        row["metrics"] = metric_rows(score.components)
        row["peer_group"] = score.components.get("peer_group", {})
    return row


def metric_rows(components: dict) -> list[dict]:
    metrics, ranks = components.get("metrics", {}), components.get("ranks", {})
    return [
        {
            "key": key,
            "label": str(METRIC_NAMES[key]),
            "help": str(METRIC_HELP[key]),
            "value": metrics.get(key),
            "share": key in SHARE_METRICS,
            "rank": ranks.get(key),
        }
        for key in METRIC_ORDER
    ]


def history(project: Project) -> list[dict]:
    """Per day, the project-wide inclusivity and comparison scores (the trend)."""
    days: dict[str, dict] = {}
    for score in Score.objects.filter(project=project, city__isnull=True).order_by("day"):
        days.setdefault(score.day.isoformat(), {"day": score.day.isoformat()})[score.kind] = (
            score.value
        )
    return [
        {"day": d["day"], "inclusivity": d.get("inclusivity"), "comparison": d.get("comparison")}
        for d in days.values()
    ]


def age_distribution(project: Project, user) -> list[dict] | None:
    """The participants' answers per age band, for the project's members only and only
    from 10 answers on; None for everyone else."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not project.memberships.filter(user=user, state=MembershipState.ACTIVE).exists():
        return None
    counts = dict(
        Membership.objects.active()
        .filter(project=project)
        .exclude(age_band="")
        .values_list("age_band")
        .annotate(n=Count("id"))
    )
    total = sum(counts.values())
    if total < scoring.MIN_ANSWERS:
        return None
    return [
        {"band": str(label), "count": counts.get(code, 0), "share": counts.get(code, 0) / total}
        for code, label in AgeBand.choices
    ]


def _latest(project: Project) -> tuple[list[Score], Score | None, Score | None, list[dict]]:
    """The latest computation of `project`: its rows, the project-wide inclusivity and
    comparison scores (None when absent) and the per-city inclusivity rows as `score_row`."""
    latest = list(Score.objects.latest_for(project))
    overall = next((s for s in latest if s.kind == ScoreKind.INCLUSIVITY and not s.city_id), None)
    comparison = next((s for s in latest if s.kind == ScoreKind.COMPARISON), None)
    per_city = [score_row(s) for s in latest if s.kind == ScoreKind.INCLUSIVITY and s.city_id]
    return latest, overall, comparison, per_city


def project_score_context(project: Project, *, user=None) -> dict:
    """Everything `scores/_project_block.html` needs, under the key `score_block`.

    Only published projects have public scores; for the others the block says so.
    """
    if project.moderation != Moderation.PUBLISHED:
        return {"score_block": {"published": False}}
    latest, overall, comparison, per_city = _latest(project)
    similar_ids = comparison.components.get("similar", []) if comparison else []
    similar = {p.pk: p for p in Project.objects.published().filter(pk__in=similar_ids)}
    quintiles = [
        {
            "city": row["city_name"],
            "quintiles": next(
                (
                    c["params"].get("quintiles", [])
                    for c in row["components"]
                    if c["key"] == "spatial_equity"
                ),
                [],
            ),
        }
        for row in per_city
    ]
    return {
        "score_block": {
            "published": True,
            "computed": bool(latest),
            "inclusivity": overall.value if overall else None,
            "comparison": comparison.value if comparison else None,
            "computed_at": (overall or comparison).computed_at if latest else None,
            "method": scoring.METHOD,
            "per_city": per_city,
            "metrics": metric_rows(comparison.components) if comparison else [],
            "peer_group": comparison.components.get("peer_group", {}) if comparison else {},
            "similar": [similar[pk] for pk in similar_ids if pk in similar],
            "quintiles": quintiles,
            "history": history(project),
            "ages": age_distribution(project, user),
            "not_enough_data": str(NOT_ENOUGH_DATA),
        }
    }


def compare_columns(projects: Iterable[Project]) -> list[dict]:
    """One column per project for the side-by-side page."""
    columns = []
    for project in projects:
        _rows, overall, comparison, city_rows = _latest(project)
        columns.append(
            {
                "project": project,
                "inclusivity": overall.value if overall else None,
                "comparison": comparison.value if comparison else None,
                "metrics": metric_rows(comparison.components) if comparison else [],
                "components": _merge_city_components(city_rows),
            }
        )
    return columns


def _merge_city_components(city_rows: list[dict]) -> list[dict]:
    """Component values per city, one entry per component (a multi-city project lists each)."""
    merged = []
    for key in COMPONENT_ORDER:
        cells = [
            {"city": row["city_name"], **next(c for c in row["components"] if c["key"] == key)}
            for row in city_rows
        ]
        merged.append({"key": key, "label": str(COMPONENT_NAMES[key]), "cells": cells})
    return merged


def latest_city_stats(cities=None) -> list[dict]:
    """The most recent statistics of each city, by city name (one row per city is read,
    not every day's)."""
    last_day = (
        CityStat.objects.filter(city=OuterRef("city"), method=scoring.METHOD)
        .order_by("-day")
        .values("day")[:1]
    )
    qs = (
        CityStat.objects.filter(method=scoring.METHOD, day=Subquery(last_day))
        .select_related("city")
        .order_by("city__name")
    )
    if cities is not None:
        qs = qs.filter(city__in=cities)
    rows = []
    for stat in qs:
        rows.append(
            {
                "city": stat.city,
                "slug": stat.city.slug,
                "name": stat.city.name,
                "country": stat.city.country,
                "day": stat.day.isoformat(),
                "computed_at": stat.computed_at.isoformat(),
                **stat.values,
                "theme_labels": [
                    str(Theme(code).label) if code in Theme.values else code
                    for code in stat.values.get("themes", [])
                ],
            }
        )
    return rows


MIN_COMPARED, MAX_COMPARED = 2, 5


def split_slugs(values: list[str]) -> list[str]:
    """Slugs from `?projects=a,b` or `?projects=a&projects=b`, first occurrence kept."""
    slugs: list[str] = []
    for raw in values:
        for slug in (s.strip() for s in raw.split(",")):
            if slug and slug not in slugs:
                slugs.append(slug)
    return slugs


# --- compare chart, city maps ------------------------------------------------------------

#: The compare chart shows the daily means of this many days, up to today.
CHART_DAYS = 90


def compare_chart(projects: list[Project], *, today: date | None = None) -> list[dict]:
    """For each quantity at least two of `projects` measured in the last 90 days, their
    daily means on one time axis (uPlot's shape: `x` in Unix seconds, one `y` per project,
    null where that project has no mean that day)."""
    from measurements import selectors

    if len(projects) < 2:
        return []
    end = today or timezone.localdate()
    start = end - timedelta(days=CHART_DAYS - 1)
    ids = [p.pk for p in projects]
    measured = selectors.quantities_measured(ids, start, end)
    counts = Counter(code for codes in measured.values() for code in codes)
    charts = []
    for code in sorted(c for c, n in counts.items() if n >= 2):
        means = selectors.daily_means(ids, code, start, end)
        days = sorted({d for per_day in means.values() for d in per_day})
        charts.append(
            {
                "quantity": code,
                "x": [int(datetime.combine(d, time(12), tzinfo=UTC).timestamp()) for d in days],
                "series": [
                    {
                        "label": p.title,
                        "y": [
                            None if means[p.pk].get(d) is None else round(means[p.pk][d], 3)
                            for d in days
                        ],
                    }
                    for p in projects
                    if code in measured[p.pk]
                ],
            }
        )
    return charts


def compare_payload(projects: list[Project]) -> list[dict]:
    """The API's side-by-side view: per project its profile answers, scores, raw metrics and
    percentile ranks, and each inclusivity component per city."""
    result = []
    for project, column in zip(projects, compare_columns(projects), strict=True):
        result.append(
            {
                "slug": project.slug,
                "title": project.title,
                "cities": [c.slug for c in project.cities.all()],
                "profile": {
                    "primary_theme": project.primary_theme,
                    "status": project.status,
                    "initiator_type": project.initiator_type,
                    "participation_level": project.participation_level,
                    "licence": project.licence,
                    "impact_level": project.impact_level,
                    "languages_offered": project.languages_offered or [],
                },
                "inclusivity": column["inclusivity"],
                "comparison": column["comparison"],
                "metrics": {
                    m["key"]: {"value": m["value"], "percentile_rank": m["rank"]}
                    for m in column["metrics"]
                },
                "components": {
                    comp["key"]: [
                        {"city": cell["city"], "value": cell["value"]} for cell in comp["cells"]
                    ]
                    for comp in column["components"]
                },
            }
        )
    return result


def _per_ten_thousand(sensors: int, population: int | None) -> float | None:
    value = scoring.per_ten_thousand(sensors, population)
    return None if value is None else float(value)


def city_choropleth(city, stat: dict | None) -> dict:
    """The city's neighbourhoods as GeoJSON polygons with their active sensors per 10,000
    residents, from the latest city statistics.

    Only the per-neighbourhood counts the scoring job stored leave the server, never a
    sensor's point. `per_10k` is null where the population is unknown or zero, and every
    count is null before the first computation.
    """
    counts = (stat or {}).get("neighbourhood_sensors")
    features = []
    for n in city.neighbourhoods.order_by("code"):
        if not n.boundary:
            continue
        sensors = None if counts is None else counts.get(n.code, 0)
        features.append(
            {
                "type": "Feature",
                "geometry": n.boundary,
                "properties": {
                    "code": n.code,
                    "name": n.name,
                    "population": n.population,
                    "sensors": sensors,
                    "per_10k": None
                    if sensors is None
                    else _per_ten_thousand(sensors, n.population),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def cities_map_features(stats: list[dict]) -> dict:
    """One point per city (its public centre) with its active sensors per 10,000 residents."""
    features = []
    for row in stats:
        city = row["city"]
        if city.lat is None or city.lon is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [city.lon, city.lat]},
                "properties": {
                    "name": row["name"],
                    "url": city.get_absolute_url(),
                    "sensors_per_10k": row.get("sensors_per_10k"),
                    "active_sensors": row.get("active_sensors"),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def public_city_stat(row: dict) -> dict:
    """A city-statistics row for the API, without the model object."""
    return {k: v for k, v in row.items() if k != "city"}


def city_equity(stat: dict | None) -> dict | None:
    """The city's equity index (CI of all its projects' active sensors) and its sentence;
    None before the first computation."""
    if stat is None:
        return None
    return {
        "ci": stat.get("ci"),
        "spatial_equity": stat.get("spatial_equity"),
        "explanation": explain_city_equity(stat),
    }


#: The profile answers shown side by side on the compare page, in the profile form's order.
PROFILE_FIELDS = (
    "initiator_type",
    "status",
    "goal",
    "what_is_measured",
    "sensor_kits",
    "role_residents",
    "role_municipality",
    "costs",
    "results_return",
    "policy_impact",
    "impact_level",
    "free_to_join",
    "non_digital_option",
    "recruits_underrepresented",
    "results_shared",
    "locations_protected",
)


def _answer(project: Project, name: str) -> str:
    value = getattr(project, name)
    display = getattr(project, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    if value is None or value == "":
        return "–"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def profile_rows(projects: list[Project]) -> list[dict]:
    """Per profile question, each project's answer ("–" where unanswered)."""
    rows = [
        {
            "label": str(Project._meta.get_field(name).verbose_name).capitalize(),
            "cells": [_answer(p, name) for p in projects],
        }
        for name in PROFILE_FIELDS
    ]
    rows.append(
        {
            "label": str(Project._meta.get_field("languages_offered").verbose_name).capitalize(),
            "cells": [", ".join(p.languages_offered or []) or "–" for p in projects],
        }
    )
    return rows
