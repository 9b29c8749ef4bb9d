from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["project", "city", "neighbourhood", "cityofficial"])
def test_it_lets_a_superuser_with_totp_manage_projects_and_city_roles(client, published, model):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "X"})
    client.force_login(admin)
    response = client.get(f"/admin/projects/{model}/")
    assert response.status_code == 200
    if model == "project":
        assert published.title in response.content.decode()
