"""A pack's PDF made by a real Celery worker through Redis, stored in the database: the page
answers "being prepared" and then the PDF; a lost message and a dead worker's render only
delay it (the sweep sends the job again), never lose it."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import Meeting, PackPdf, Review
from reviews.pdf import pack_pdfs_resume
from reviews.services import pack_freeze
from tests.plan_data import plan_build
from tests.reviews.test_pdf import needs_weasyprint, pdf_pages

pytestmark = [pytest.mark.integration, needs_weasyprint]


def _wait_for(predicate, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return None


def test_a_worker_makes_the_pdf_and_the_sweep_recovers_lost_work(
    celery_worker_process, client, admin, leader, member, team, other_team, viewer, monkeypatch
):
    plan = plan_build(size=1, team=team, other_team=other_team, member=member, leader=leader)
    review = Review.objects.create(name="Monthly business review", strategy=plan.strategy)
    meeting = Meeting.objects.create(review=review, starts_at=timezone.now())
    pack, _ = pack_freeze(meeting=meeting)
    url = reverse("reviews:pack-pdf", args=[pack.pk])

    client.force_login(admin)
    first = client.get(url)
    assert first.status_code == 202  # the request only starts the job
    ready = _wait_for(lambda: (r := client.get(url)).status_code == 200 and r)
    assert ready, celery_worker_process.log_path.read_text()[-3000:]
    assert ready["Content-Type"] == "application/pdf"
    assert "What changed" in " ".join(pdf_pages(ready.content))

    # A lost message: the broker refused it (down), so nothing reached the worker.
    monkeypatch.setattr("reviews.pdf.enqueue_safely", lambda task, **kwargs: False)
    client.force_login(member)
    assert client.get(url).status_code == 202
    lost = PackPdf.objects.get(pack=pack, status="pending")
    monkeypatch.undo()
    # A dead worker: its render was claimed long ago and never finished.
    client.force_login(viewer)
    with monkeypatch.context() as patched:
        patched.setattr("reviews.pdf.enqueue_safely", lambda task, **kwargs: False)
        assert client.get(url).status_code == 202
    dead = PackPdf.objects.filter(pack=pack, status="pending").exclude(pk=lost.pk).first()
    if dead is not None:  # the viewer may see exactly what the member sees: one job for both
        PackPdf.objects.filter(pk=dead.pk).update(
            status="running", claim="dead", claimed_at=timezone.now() - dt.timedelta(hours=2)
        )
    time.sleep(1)
    assert PackPdf.objects.get(pk=lost.pk).status == "pending"  # nothing comes by itself

    counts = pack_pdfs_resume(now=timezone.now() + dt.timedelta(minutes=5))
    assert counts["sent"] >= 1
    assert counts["reclaimed"] == (1 if dead is not None else 0)
    done = _wait_for(lambda: not PackPdf.objects.exclude(status="done").exists(), timeout=180)
    assert done, (
        list(PackPdf.objects.values_list("status", "error")),
        celery_worker_process.log_path.read_text()[-3000:],
    )
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
