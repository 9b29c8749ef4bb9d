"""The optional, anonymous age-band question for members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import Membership

pytestmark = pytest.mark.django_db


def test_it_lets_a_member_answer_and_change_the_age_band(client, bob, published):
    client.force_login(bob)
    page = client.get(reverse("projects:detail", args=[published.slug])).content.decode()
    assert 'name="age_band"' in page
    url = reverse("projects:questionnaire", args=[published.slug])
    client.post(url, {"age_band": "25-44"})
    assert Membership.objects.get(project=published, user=bob).age_band == "25-44"
    client.post(url, {"age_band": "65+"})
    assert Membership.objects.get(project=published, user=bob).age_band == "65+"
    client.post(url, {"age_band": ""})
    assert Membership.objects.get(project=published, user=bob).age_band == ""


def test_it_refuses_an_answer_from_an_outsider(client, charlie, published):
    client.force_login(charlie)
    page = client.get(reverse("projects:detail", args=[published.slug])).content.decode()
    assert 'name="age_band"' not in page
    response = client.post(
        reverse("projects:questionnaire", args=[published.slug]), {"age_band": "65+"}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=charlie).exists()


def test_it_rejects_an_unknown_band_and_keeps_the_old_answer(client, bob, published):
    Membership.objects.filter(user=bob).update(age_band="45-64")
    client.force_login(bob)
    client.post(reverse("projects:questionnaire", args=[published.slug]), {"age_band": "ancient"})
    assert Membership.objects.get(project=published, user=bob).age_band == "45-64"
