"""Read-only score endpoints. Same visibility rule as the project pages: unpublished
projects of others answer 404; an unpublished project has no public score."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import presenters_scores
from projects.choices import Moderation
from projects.models import City, CityStat, Project, Score
from projects.presenters_scores import MAX_COMPARED, MIN_COMPARED, split_slugs
from projects.scoring import METHOD


class ProjectScoresView(APIView):
    """Current scores of a project (components, explanations, method, time) and their history."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="`latest`: one row per score (kind, city, value or null when absent, "
                "components with explanations, method, computed_at); `history`: daily values.",
            )
        }
    )
    def get(self, request, slug: str):
        project = get_object_or_404(Project.objects.visible_to(request.user), slug=slug)
        latest = []
        if project.moderation == Moderation.PUBLISHED:
            latest = [presenters_scores.score_row(s) for s in Score.objects.latest_for(project)]
        return Response(
            {
                "project": project.slug,
                "method": METHOD,
                "published": project.moderation == Moderation.PUBLISHED,
                "latest": latest,
                "history": presenters_scores.history(project) if latest else [],
            }
        )


class CityStatsView(APIView):
    """The latest city comparison figures of every city."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Per city: published projects, active sensors per 10,000 residents, "
                "population coverage, spatial-equity CI, mean inclusivity, themes covered.",
            )
        }
    )
    def get(self, request):
        rows = []
        for row in presenters_scores.latest_city_stats():
            row = presenters_scores.public_city_stat(row)
            row.pop("neighbourhood_sensors", None)  # per city: /cities/{slug}/stats/
            rows.append(row)
        return Response({"method": METHOD, "results": rows})


class CityStatView(APIView):
    """One city's latest figures, with its active sensors per neighbourhood (counts only)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="v1_city_stats_one_retrieve",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The city's figures as in /cities/stats/, plus "
                "`neighbourhood_sensors` (neighbourhood code → active sensors) and "
                "`history` (one row per day). `stats` is null before the first computation.",
            )
        },
    )
    def get(self, request, slug: str):
        city = get_object_or_404(City, slug=slug)
        rows = presenters_scores.latest_city_stats(cities=[city])
        history = [
            {"day": s.day.isoformat(), **{k: s.values.get(k) for k in HISTORY_KEYS}}
            for s in CityStat.objects.filter(city=city, method=METHOD).order_by("day")
        ]
        return Response(
            {
                "city": city.slug,
                "name": city.name,
                "method": METHOD,
                "stats": presenters_scores.public_city_stat(rows[0]) if rows else None,
                "history": history,
            }
        )


HISTORY_KEYS = ("active_sensors", "sensors_per_10k", "coverage", "ci", "mean_inclusivity")


class CompareView(APIView):
    """2 to 5 published projects side by side, in the order asked (`?projects=a,b,c`).

    A script should know when a slug did not count: any slug that is unknown, unpublished
    or not visible to the caller makes the whole request a 400 naming those slugs.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "projects", str, required=True, description="2 to 5 project slugs, comma-separated"
            )
        ],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="`projects`: per project its profile answers, scores, raw metrics "
                "with percentile ranks in the peer group, and inclusivity components per city.",
            ),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description="Too few or too many slugs, or slugs not found."
            ),
        },
    )
    def get(self, request):
        slugs = split_slugs(request.query_params.getlist("projects"))
        if not MIN_COMPARED <= len(slugs) <= MAX_COMPARED:
            raise ValidationError(
                {
                    "projects": [
                        f"Give between {MIN_COMPARED} and {MAX_COMPARED} different project "
                        f"slugs, comma-separated; got {len(slugs)}."
                    ]
                }
            )
        found = {
            p.slug: p
            for p in Project.objects.visible_to(request.user)
            .published()
            .filter(slug__in=slugs)
            .prefetch_related("cities")
        }
        missing = [s for s in slugs if s not in found]
        if missing:
            raise ValidationError(
                {
                    "projects": [
                        "No published project with these slugs: " + ", ".join(missing) + "."
                    ],
                    "not_found": missing,
                }
            )
        projects = [found[s] for s in slugs]
        return Response({"method": METHOD, "projects": presenters_scores.compare_payload(projects)})


# Before the router's `cities/{slug}/` (citimeasure/api.py includes these first), so
# `cities/stats/` is not read as a city called "stats".
urlpatterns = [
    path("projects/<slug:slug>/scores/", ProjectScoresView.as_view(), name="project-scores"),
    path("compare/", CompareView.as_view(), name="compare"),
    path("cities/stats/", CityStatsView.as_view(), name="city-stats"),
    path("cities/<slug:slug>/stats/", CityStatView.as_view(), name="city-stat"),
    # The first name of the list, kept for scripts written against it.
    path("scores/cities/", CityStatsView.as_view(), name="city-stats-alias"),
]
