"""Shared fixtures: alice coordinates, bob participates, charlie is an outsider, dave moderates."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from projects.choices import Moderation, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory, make_moderator


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """A fast hasher keeps the suite quick; production uses Django's default (PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Production settings use whitenoise's manifest storage, which needs `collectstatic`
    first; the tests render pages against the source static files instead."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Outside the integration tests, Celery tasks run in-process (a real worker is used there)."""
    from citimeasure.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_quantity_registry():
    """Each test reads the quantities its database holds (the registry is kept per process;
    a flushed or restored table would otherwise meet an earlier test's registry)."""
    from measurements.registry import registry_clear

    registry_clear()


@pytest.fixture(autouse=True)
def _fresh_rescore_windows():
    """Each test starts with no rescore window known to the process (ids are reused)."""
    from projects.services_scores import rescore_windows_forget

    rescore_windows_forget()


@pytest.fixture
def postgresql():
    """For tests of PostgreSQL behaviour: fail, never skip, when the database is another."""
    from django.db import connection

    assert connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


@pytest.fixture
def dave(db):
    """A moderator with TOTP set up (staff must have two-factor authentication)."""
    from allauth.mfa.models import Authenticator

    user = make_moderator(UserFactory(username="dave"))
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    return user


def _project_with_members(alice, bob, **kwargs):
    project = ProjectFactory(**kwargs)
    MembershipFactory(project=project, user=alice, role=Role.COORDINATOR)
    MembershipFactory(project=project, user=bob, role=Role.PARTICIPANT)
    return project


@pytest.fixture
def published(alice, bob):
    return _project_with_members(alice, bob, title="Clean Air Utrecht", slug="clean-air-utrecht")


@pytest.fixture
def draft(alice, bob):
    return _project_with_members(
        alice, bob, title="Secret Draft", slug="secret-draft", moderation=Moderation.DRAFT
    )


@pytest.fixture
def submitted(alice, bob):
    return _project_with_members(
        alice,
        bob,
        title="Waiting Noise",
        slug="waiting-noise",
        primary_theme="noise",
        moderation=Moderation.SUBMITTED,
    )


@pytest.fixture
def api():
    return APIClient()
