from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_pages_render(client, leader, plan):
    client.force_login(leader)
    urls = [
        reverse("strategy:overview"),
        reverse("strategy:review"),
        reverse("strategy:objective-detail", args=[plan.objectives[0].pk]),
        reverse("strategy:objective-edit", args=[plan.objectives[1].pk]),
        reverse("initiatives:my-work"),
        reverse("initiatives:initiative-detail", args=[plan.initiatives[0].pk]),
        reverse("initiatives:initiative-edit", args=[plan.initiatives[1].pk]),
        reverse("metrics:kpi-detail", args=[plan.kpis[1].key]),
        reverse("metrics:kpi-edit", args=[plan.kpis[1].key]),
        reverse("metrics:alert-list"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
