"""Read-only score endpoints. Same visibility rule as the project pages: unpublished
projects of others answer 404; an unpublished project has no public score."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import presenters_scores
from projects.choices import Moderation
from projects.models import Project, Score
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
        rows = presenters_scores.latest_city_stats()
        for row in rows:
            row.pop("city")
        return Response({"method": METHOD, "results": rows})


urlpatterns = [
    path("projects/<slug:slug>/scores/", ProjectScoresView.as_view(), name="project-scores"),
    path("scores/cities/", CityStatsView.as_view(), name="city-stats"),
]
