"""Score pages: how they are computed, projects side by side, cities side by side."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from projects import presenters_scores
from projects.models import Project
from projects.presenters_scores import MAX_COMPARED, split_slugs
from projects.scoring import METHOD


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


def compare(request):
    """2 to 5 published projects side by side; the selection lives in `?projects=a,b`.

    The catalogue's compare checkboxes send `?projects=a&projects=b`; that is redirected to
    the comma form, so the address to share is one short link. Slugs the user may not see
    are dropped like unknown ones, and the page says how many it could not show.
    """
    values = request.GET.getlist("projects")
    slugs = split_slugs(values)
    if len(values) > 1:
        return redirect(f"{reverse('scores:compare')}?{urlencode({'projects': ','.join(slugs)})}")
    found = {
        p.slug: p
        for p in Project.objects.visible_to(request.user)
        .published()
        .filter(slug__in=slugs[: MAX_COMPARED * 2])
        .prefetch_related("cities")
    }
    projects = [found[s] for s in slugs if s in found]
    notices = []
    if len(projects) < len(slugs[: MAX_COMPARED * 2]):
        missing = [s for s in slugs if s not in found]
        notices.append(
            _("No published initiative found for: %(slugs)s.") % {"slugs": ", ".join(missing)}
        )
    if len(projects) > MAX_COMPARED:
        notices.append(
            _("At most %(max)s initiatives can be compared; showing the first %(max)s.")
            % {"max": MAX_COMPARED}
        )
        projects = projects[:MAX_COMPARED]
    if len(projects) < 2:
        notices.append(_("Choose at least two projects to compare."))
    columns = presenters_scores.compare_columns(projects) if len(projects) >= 2 else []
    return render(
        request,
        "scores/compare.html",
        {
            "columns": columns,
            "rows": _compare_rows(columns),
            "notices": notices,
            "charts": presenters_scores.compare_chart(projects) if columns else [],
            "profile": presenters_scores.profile_rows(projects) if columns else [],
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
    stats = presenters_scores.latest_city_stats()
    return render(
        request,
        "scores/cities.html",
        {
            "stats": stats,
            "features": presenters_scores.cities_map_features(stats),
        },
    )
