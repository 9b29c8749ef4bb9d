"""Statistics about fewer than 10 people are never shown: the questionnaire's age bands
appear only from 10 answers on, only to the project's members, and never per band in the
API, the scores or the export."""

from __future__ import annotations

import json

from django.test import Client

from projects.presenters_scores import age_distribution
from tests.factories import MembershipFactory, UserFactory


def _answers(project, n: int) -> None:
    for i in range(n):
        MembershipFactory(project=project, user=UserFactory(), age_band="65+" if i else "0-24")


def test_it_hides_the_age_bands_below_ten_answers(published, bob, client: Client) -> None:
    _answers(published, 9)
    assert age_distribution(published, bob) is None
    client.force_login(bob)
    page = client.get(published.get_absolute_url())
    assert page.context["score_block"]["ages"] is None


def test_it_shows_them_to_members_only_from_ten_answers(published, bob, charlie) -> None:
    _answers(published, 10)
    bands = {row["band"]: row["count"] for row in age_distribution(published, bob)}
    assert bands["65 and over"] == 9 and bands["Under 25"] == 1
    assert age_distribution(published, charlie) is None
    assert age_distribution(published, None) is None


def test_it_never_sends_per_band_counts_through_the_api(published, alice, api) -> None:
    _answers(published, 12)
    api.force_authenticate(alice)
    for path in (
        f"/api/v1/projects/{published.slug}/",
        f"/api/v1/projects/{published.slug}/scores/",
    ):
        body = api.get(path).content.decode()
        assert "65+" not in body and "0-24" not in body


def test_it_exports_only_my_own_answer(published, bob, client: Client) -> None:
    _answers(published, 12)
    client.force_login(bob)
    data = client.get("/account/privacy/my-data.json").json()
    # Bob did not answer; the others' answers are theirs. (Searching the whole text for
    # "65+" would also match timestamps such as "…41.123465+00:00".)
    assert [m["age_band"] for m in data["memberships"]] == [""]
    assert '"65+"' not in json.dumps(data)
