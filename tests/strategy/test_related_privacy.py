"""What a page shows of the object its object is aligned to (an initiative's objective, a
KPI's objective or initiative, an objective's parents, the same in the lists): a reader who
may not see that object gets "a part you cannot see", neither its title nor a link to it.

Reported by an outside tester: a public initiative, KPI or child objective aligned under a
private team's objective showed the objective's title to everyone who could see the public
item, in breadcrumbs and in the lists' objective column."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import InitiativeFactory, KPIFactory, ObjectiveFactory, TeamFactory

pytestmark = pytest.mark.django_db

SECRET = "Geheimes Ziel: Übernahme von Acme"
HIDDEN = "a part you cannot see"


@pytest.fixture
def aligned_under_private(company, team, member):
    """Public items of ``team`` (the member's) under an objective of a private team."""
    private = TeamFactory(
        name="Zürich Außendienst", slug="zuerich", parent=company, is_private=True
    )
    secret = ObjectiveFactory(team=private, title=SECRET)
    return {
        "secret": secret,
        "initiative": InitiativeFactory(objective=secret, team=team, owner=member),
        "kpi": KPIFactory(objective=secret, team=team, owner=member),
        "child": ObjectiveFactory(team=team, parent=secret, theme=secret.theme, title="Child"),
    }


def _pages(items) -> list[str]:
    return [
        items["initiative"].get_absolute_url(),
        items["kpi"].get_absolute_url(),
        items["child"].get_absolute_url(),
        reverse("strategy:initiative-list"),
        reverse("strategy:kpi-list"),
        reverse("initiatives:my-work"),
    ]


def test_a_reader_who_cannot_see_the_objective_gets_no_title_and_no_link(
    client, member, aligned_under_private
):
    client.force_login(member)
    secret_url = aligned_under_private["secret"].get_absolute_url()
    assert client.get(secret_url).status_code == 404
    for url in _pages(aligned_under_private):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SECRET not in body, url
        assert "Übernahme" not in body, url
        assert f'href="{secret_url}"' not in body, url
    crumbs = client.get(aligned_under_private["initiative"].get_absolute_url()).content.decode()
    assert HIDDEN in crumbs


def test_a_private_initiative_of_a_public_kpi_is_not_named(client, company, team, member):
    private = TeamFactory(name="Hidden team", slug="hidden", parent=company, is_private=True)
    initiative = InitiativeFactory(team=private, title="Project Falcon", objective__team=private)
    kpi = KPIFactory(initiative=initiative, objective=None, team=team, owner=member)
    client.force_login(member)
    for url in (kpi.get_absolute_url(), reverse("strategy:kpi-list")):
        body = client.get(url).content.decode()
        assert "Project Falcon" not in body, url
    assert HIDDEN in client.get(kpi.get_absolute_url()).content.decode()


def test_who_may_see_the_objective_gets_its_title_and_link(client, admin, aligned_under_private):
    client.force_login(admin)
    secret_url = aligned_under_private["secret"].get_absolute_url()
    for url in _pages(aligned_under_private)[:5]:
        body = client.get(url).content.decode()
        assert "Geheimes Ziel: Übernahme von Acme" in body or "Übernahme" in body, url
    body = client.get(aligned_under_private["initiative"].get_absolute_url()).content.decode()
    assert f'href="{secret_url}"' in body
    assert HIDDEN not in body


def test_no_template_names_a_related_objective_itself():
    """The kind: a template that prints a related objective's (or parent's) title or link
    itself skips the reader's check. They use ``subject_name`` / ``subject_link`` (ui)."""
    import re
    from pathlib import Path

    from django.conf import settings

    pattern = re.compile(r"\w\.(objective|parent)\.(title|get_absolute_url)|\bk(pi)?\.initiative\.")
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}"
        for root in settings.TEMPLATES[0]["DIRS"]
        for path in sorted(Path(root).rglob("*.html"))
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []
