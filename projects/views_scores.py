"""Score pages: how they are computed, projects side by side, cities side by side."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from projects import presenters_scores
from projects.models import Project
from projects.scoring import METHOD

MAX_COMPARED = 5


def method(request):
    """The method page: the docstrings of the scoring functions, as the code runs them."""
    return render(
        request,
        "scores/method.html",
        {
            "method": METHOD,
            "sections": presenters_scores.method_sections(),
        },
    )


def _chosen_slugs(raw: str) -> list[str]:
    slugs = []
    for slug in (s.strip() for s in raw.split(",")):
        if slug and slug not in slugs:
            slugs.append(slug)
    return slugs[:MAX_COMPARED]


def compare(request):
    """2 to 5 published projects side by side; the selection lives in `?projects=a,b`.

    Slugs the user may not see are dropped silently, exactly like unknown ones.
    """
    slugs = _chosen_slugs(request.GET.get("projects", ""))
    found = {
        p.slug: p
        for p in Project.objects.visible_to(request.user)
        .published()
        .filter(slug__in=slugs)
        .prefetch_related("cities")
    }
    projects = [found[s] for s in slugs if s in found]
    notice = _("Choose at least two projects to compare.") if len(projects) < 2 else ""
    columns = presenters_scores.compare_columns(projects)
    return render(
        request,
        "scores/compare.html",
        {
            "columns": columns,
            "rows": _compare_rows(columns),
            "notice": notice,
            "choices": Project.objects.visible_to(request.user).published().order_by("title"),
            "selected": [p.slug for p in projects],
        },
    )


def _compare_rows(columns: list[dict]) -> list[dict]:
    """Turn per-project columns into per-metric rows, which is how a table is read."""
    if not columns:
        return []
    rows = []
    for i, metric in enumerate(columns[0]["metrics"] or presenters_scores.metric_rows({})):
        rows.append(
            {
                "label": metric["label"],
                "help": metric["help"],
                "share": metric["share"],
                "cells": [(c["metrics"][i] if c["metrics"] else None) for c in columns],
            }
        )
    return rows


def cities(request):
    """Every city's statistics in one sortable table."""
    return render(
        request,
        "scores/cities.html",
        {
            "stats": presenters_scores.latest_city_stats(),
        },
    )
