"""`manage.py compute_scores [--project SLUG] [--city SLUG]`: the scoring service, synchronously."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from projects.models import City, Project
from projects.services_scores import scores_compute


class Command(BaseCommand):
    help = "Compute inclusivity and comparison scores (method v1) now, without Celery."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--project",
            action="append",
            default=[],
            metavar="SLUG",
            help="Only this published project (may be repeated).",
        )
        parser.add_argument(
            "--city",
            action="append",
            default=[],
            metavar="SLUG",
            help="Only the published projects of this city (may be repeated).",
        )

    def handle(self, *args, project: list[str], city: list[str], **options) -> None:
        ids = None
        known = set(
            Project.objects.published().filter(slug__in=project).values_list("slug", flat=True)
        )
        unknown = [slug for slug in project if slug not in known]
        unknown_cities = [slug for slug in city if not City.objects.filter(slug=slug).exists()]
        if unknown or unknown_cities:
            raise CommandError(
                "Nothing changed. "
                + (f"No published project with slug: {', '.join(unknown)}. " if unknown else "")
                + (f"No city with slug: {', '.join(unknown_cities)}." if unknown_cities else "")
            )
        if project or city:
            qs = Project.objects.published()
            if project:
                qs = qs.filter(slug__in=project)
            if city:
                qs = qs.filter(cities__slug__in=city)
            ids = sorted(set(qs.values_list("pk", flat=True)))
            if not ids:
                raise CommandError("No published project matches.")
        result = scores_compute(project_ids=ids)
        self.stdout.write(
            self.style.SUCCESS(
                f"Scored {result['projects']} project(s) in {result['cities']} city(ies)."
            )
        )
