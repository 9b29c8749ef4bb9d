"""Shapes of stored scores for pages and the API (callers pass projects the user may see).

Explanations are re-rendered from the stored figures in the active language. The age-band
distribution behind representativeness only appears for the project's own members and only
from 10 answers on; nothing here ever returns it to anyone else.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable

from django.db.models import Count

from projects import scoring
from projects.choices import AgeBand, MembershipState, Moderation
from projects.explanations import (
    COMPONENT_NAMES,
    METRIC_HELP,
    METRIC_NAMES,
    NOT_ENOUGH_DATA,
    explain,
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


def project_score_context(project: Project, *, user=None) -> dict:
    """Everything `scores/_project_block.html` needs, under the key `score_block`.

    Only published projects have public scores; for the others the block says so.
    """
    if project.moderation != Moderation.PUBLISHED:
        return {"score_block": {"published": False}}
    latest = list(Score.objects.latest_for(project))
    overall = next((s for s in latest if s.kind == ScoreKind.INCLUSIVITY and not s.city_id), None)
    comparison = next((s for s in latest if s.kind == ScoreKind.COMPARISON), None)
    per_city = [score_row(s) for s in latest if s.kind == ScoreKind.INCLUSIVITY and s.city_id]
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
        latest = list(Score.objects.latest_for(project))
        overall = next(
            (s for s in latest if s.kind == ScoreKind.INCLUSIVITY and not s.city_id), None
        )
        comparison = next((s for s in latest if s.kind == ScoreKind.COMPARISON), None)
        city_rows = [score_row(s) for s in latest if s.kind == ScoreKind.INCLUSIVITY and s.city_id]
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
    """The most recent statistics of each city, by city name."""
    qs = (
        CityStat.objects.filter(method=scoring.METHOD)
        .select_related("city")
        .order_by("city__name", "-day")
    )
    if cities is not None:
        qs = qs.filter(city__in=cities)
    seen, rows = set(), []
    for stat in qs:
        if stat.city_id in seen:
            continue
        seen.add(stat.city_id)
        rows.append(
            {
                "city": stat.city,
                "slug": stat.city.slug,
                "name": stat.city.name,
                "country": stat.city.country,
                "day": stat.day.isoformat(),
                "computed_at": stat.computed_at.isoformat(),
                **stat.values,
            }
        )
    return rows
