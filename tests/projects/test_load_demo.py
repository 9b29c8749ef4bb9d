"""`load_demo`: the seeded cities, synthetic neighbourhoods, real initiatives and demo
projects load completely, and loading again changes nothing."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from projects.choices import Moderation, Role
from projects.models import City, Membership, Neighbourhood, Project, user_is_moderator

SEEDS = settings.BASE_DIR / "seeds"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for this module (it is the slow part), inside a transaction that
    is rolled back afterwards so no other test module sees the data. The hasher matches the
    suite's (tests/conftest.py), which the function-scoped settings fixture cannot set here."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        out = StringIO()
        call_command("load_demo", without_readings=True, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def counts() -> dict[str, int]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    return {
        "cities": City.objects.count(),
        "neighbourhoods": Neighbourhood.objects.count(),
        "projects": Project.objects.count(),
        "memberships": Membership.objects.count(),
        "users": get_user_model().objects.count(),
        "emails": EmailAddress.objects.count(),
        "authenticators": Authenticator.objects.count(),
        "project_themes": Project.themes.through.objects.count(),
        "project_cities": Project.cities.through.objects.count(),
    }


def test_it_loads_cities_each_with_synthetic_neighbourhoods(demo, db):
    cities = City.objects.all()

    assert cities.count() >= 12
    for slug in ("s-hertogenbosch", "breda", "den-haag", "amsterdam", "utrecht", "eindhoven"):
        assert cities.filter(slug=slug).exists()
    for city in cities:
        neighbourhoods = city.neighbourhoods.all()
        assert 8 <= neighbourhoods.count() <= 16, city.slug
        assert all(n.synthetic for n in neighbourhoods)
        total = sum(n.population or 0 for n in neighbourhoods)
        assert total == pytest.approx(city.population, rel=0.01)


def test_it_publishes_the_real_initiatives_with_their_sources(demo, db):
    with (SEEDS / "initiatives.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    real = Project.objects.filter(demo=False)

    assert real.count() == len(rows) >= 40
    assert set(real.values_list("moderation", flat=True)) == {Moderation.PUBLISHED}
    sources = dict(real.values_list("title", "source"))
    for row in rows:
        assert sources[row["name"]] == row["source"]
    published = Project.objects.published()
    assert published.values("primary_theme").distinct().count() >= 5
    assert published.values("status").distinct().count() >= 3
    assert published.values("participation_level").distinct().count() >= 4
    for project in real:
        assert project.memberships.coordinators().count() == 1
        assert project.memberships.filter(role=Role.PARTICIPANT).exists()
        assert len(project.summary) <= 300


def test_it_adds_invented_drafts_and_one_rejected_project(demo, db):
    invented = Project.objects.filter(demo=True)

    assert invented.filter(moderation__in=[Moderation.DRAFT, Moderation.SUBMITTED]).count() >= 4
    rejected = Project.objects.filter(moderation=Moderation.REJECTED)
    assert rejected.count() == 1
    assert rejected.get().demo and rejected.get().rejection_reason
    assert not invented.filter(moderation=Moderation.PUBLISHED).exists()


def test_it_creates_verified_demo_users_and_a_moderator_with_totp(demo, db):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    users = get_user_model().objects.filter(email__endswith="@demo.citimeasure.localhost")
    moderator = users.get(email="moderator@demo.citimeasure.localhost")

    verified = EmailAddress.objects.filter(user__in=users, verified=True, primary=True)
    assert verified.count() == len(users)
    assert user_is_moderator(moderator)
    assert Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists()
    coordinator = users.get(email="coordinator@demo.citimeasure.localhost")
    assert coordinator.check_password("demo-password-2026")
    assert "JBSWY3DPEHPK3PXP" in demo


def test_it_changes_nothing_when_run_twice(demo, db):
    before = counts()
    projects_before = list(Project.objects.order_by("pk").values())
    out = StringIO()

    call_command("load_demo", without_readings=True, stdout=out)

    assert counts() == before
    assert list(Project.objects.order_by("pk").values()) == projects_before
    for line in out.getvalue().splitlines():
        if "created" in line:
            assert line.split(":")[1].startswith(" 0 created, 0 updated"), line
