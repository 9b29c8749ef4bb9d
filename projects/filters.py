"""The catalogue's filters: one FilterSet used by the catalogue page and the API alike."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.choices import COUNTRY_NAMES, InitiatorType, Licence, Participation, Status, Theme
from projects.models import City, Project

SORTS = {
    "title": ("title",),
    "-created": ("-published_at", "-created_at", "title"),
    "start": ("start_date", "title"),
    "-start": ("-start_date", "title"),
}


def _country_choices():
    codes = City.objects.order_by().values_list("country", flat=True).distinct()
    return sorted(
        ((code, COUNTRY_NAMES.get(code, code)) for code in codes), key=lambda c: str(c[1])
    )


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    city = django_filters.ModelChoiceFilter(
        label=_("City"),
        field_name="cities",
        to_field_name="slug",
        queryset=City.objects.all(),
        empty_label=_("All cities"),
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        field_name="cities__country",
        choices=_country_choices,
        empty_label=_("All countries"),
    )
    theme = django_filters.ChoiceFilter(
        label=_("Theme"),
        field_name="themes__code",
        choices=Theme.choices,
        empty_label=_("All themes"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("Any status")
    )
    participation = django_filters.ChoiceFilter(
        label=_("Participation level"),
        field_name="participation_level",
        choices=Participation.choices,
        empty_label=_("Any level"),
    )
    licence = django_filters.ChoiceFilter(
        label=_("Data licence"), choices=Licence.choices, empty_label=_("Any licence")
    )
    initiator = django_filters.ChoiceFilter(
        label=_("Initiator"),
        field_name="initiator_type",
        choices=InitiatorType.choices,
        empty_label=_("Any initiator"),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        method="filter_sort",
        empty_label=None,
        choices=[
            ("title", _("Title A–Z")),
            ("-created", _("Newest first")),
            ("start", _("Oldest start")),
            ("-start", _("Latest start")),
        ],
    )

    class Meta:
        model = Project
        fields = [
            "q",
            "city",
            "country",
            "theme",
            "status",
            "participation",
            "licence",
            "initiator",
            "sort",
        ]

    def filter_search(self, queryset, name, value):
        """Free text over the title, summary, description and what is measured."""
        for word in value.split()[:8]:
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(what_is_measured__icontains=word)
                | Q(cities__name__icontains=word)
            )
        return queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["title"]))

    @property
    def qs(self):
        # Joins over cities/themes can repeat a project; filter by id to keep one row each
        # while keeping the chosen order.
        queryset = super().qs
        ordering = queryset.query.order_by or ("title",)
        return Project.objects.filter(pk__in=queryset.values("pk")).order_by(*ordering)
