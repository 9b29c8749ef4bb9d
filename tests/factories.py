"""factory_boy factories for the test suite."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from projects.choices import Moderation, Role, Theme
from projects.models import City, Membership, Neighbourhood, Project, ThemeTag


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """Verified by default (pass verified=False for a fresh, unverified sign-up)."""
        if create and extracted is not False:
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


def ensure_reference_rows() -> None:
    """Rows that migrations create (themes, the moderators group); a transactional test's
    flush removes them, so factories re-create them when needed."""
    for code in Theme.values:
        ThemeTag.objects.get_or_create(code=code)
    Group.objects.get_or_create(name="moderators")


def make_moderator(user):
    """Make `user` a moderator (staff in the moderators group)."""
    ensure_reference_rows()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name="moderators"))
    return user


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"City {n}")
    slug = factory.LazyAttribute(lambda c: c.name.lower().replace(" ", "-"))
    country = "NL"
    lat = 52.09
    lon = 5.12
    population = 100_000


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    """A GeoJSON square polygon with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighbourhood

    city = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"BU{n:08d}")
    name = factory.Sequence(lambda n: f"Wijk {n}")
    boundary = factory.LazyAttribute(lambda n: square(n.city.lon, n.city.lat))
    population = 1000
    mean_income = 30_000
    age_0_24 = 250
    age_25_44 = 250
    age_45_64 = 250
    age_65_plus = 250


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    summary = "Residents measure something together."
    primary_theme = "air"
    initiator_type = "residents"
    moderation = Moderation.PUBLISHED

    @factory.post_generation
    def themes(project, create, extracted, **kwargs):
        if create:
            ensure_reference_rows()
            codes = extracted or [project.primary_theme]
            project.themes.set(ThemeTag.objects.filter(code__in=codes))

    @factory.post_generation
    def cities(project, create, extracted, **kwargs):
        if create:
            project.cities.set(extracted or [CityFactory(name="Utrecht", slug="utrecht")])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.PARTICIPANT
