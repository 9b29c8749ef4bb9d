"""`manage.py import_neighbourhoods <city-slug> --geojson FILE --csv FILE [--synthetic]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from projects.models import City
from projects.neighbourhoods import ImportProblem, neighbourhoods_import, read_files


class Command(BaseCommand):
    help = (
        "Import or update a city's neighbourhoods: boundaries from GeoJSON (feature property "
        "'code'), figures from CSV (code,name,population,mean_income,age_0_24,age_25_44,"
        "age_45_64,age_65_plus). All or nothing: any problem leaves the database unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("city", help="the city's slug, e.g. utrecht")
        parser.add_argument(
            "--geojson", required=True, help="GeoJSON FeatureCollection of boundaries"
        )
        parser.add_argument("--csv", required=True, help="CSV of neighbourhood figures")
        parser.add_argument(
            "--synthetic",
            action="store_true",
            help="mark the neighbourhoods as invented demo data, not official statistics",
        )

    def handle(self, *args, **options) -> None:
        try:
            city = City.objects.get(slug=options["city"])
        except City.DoesNotExist:
            raise CommandError(_("Unknown city: %(slug)s") % {"slug": options["city"]}) from None
        try:
            features, rows = read_files(options["geojson"], options["csv"])
            report = neighbourhoods_import(
                city=city,
                features=features,
                rows=rows,
                synthetic=options["synthetic"],
                geojson_name=options["geojson"],
                csv_name=options["csv"],
            )
        except ImportProblem as problem:
            raise CommandError(
                _("Nothing was imported:\n%(problems)s") % {"problems": problem}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(city)s: %(created)d neighbourhoods created, %(updated)d updated, "
                    "%(unchanged)d unchanged."
                )
                % {
                    "city": city.name,
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "unchanged": len(report.unchanged),
                }
            )
        )
        if report.not_in_files:
            self.stdout.write(
                self.style.WARNING(
                    _("Kept %(count)d neighbourhoods that are not in the files: %(codes)s")
                    % {"count": len(report.not_in_files), "codes": ", ".join(report.not_in_files)}
                )
            )
