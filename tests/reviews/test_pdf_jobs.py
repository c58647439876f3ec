"""Pack PDF jobs (``reviews.pdf``): the database is the truth. A dead worker's render is taken
back after the lease, a lost message is sent again, errors are retried a bounded number of
times, a duplicate or late message stores nothing twice. Layout is a stand-in here
(``fake_layout``): these tests are about the job, not WeasyPrint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reviews.models import PackPdf
from reviews.pdf import (
    MAX_ATTEMPTS,
    pack_pdf_render,
    pack_pdf_request,
    pack_pdfs_resume,
)
from reviews.services import pack_freeze


@pytest.fixture
def pack(meeting):
    return pack_freeze(meeting=meeting)[0]


def _job(pack, key: str, **fields) -> PackPdf:
    return PackPdf.objects.create(
        pack=pack, key=key, html=f"<h1>{key}</h1>", base_url="http://testserver/", **fields
    )


def test_the_sweep_takes_back_dead_renders_and_resends_lost_messages(pack, settings, fake_layout):
    settings.REVIEW_PDF_LEASE_SECONDS = 420
    settings.REVIEW_PDF_RESEND_SECONDS = 120
    now = timezone.now()
    dead = _job(pack, "dead", status="running", claim="x", claimed_at=now - dt.timedelta(hours=1))
    _job(pack, "alive", status="running", claim="y", claimed_at=now)
    lost = _job(pack, "lost", enqueued_at=now - dt.timedelta(minutes=10))
    _job(pack, "never")  # the broker was down when it was asked for
    _job(pack, "queued", enqueued_at=now)  # still in the queue: left alone
    old = _job(pack, "old", status="done", requested_at=now - dt.timedelta(days=31))

    counts = pack_pdfs_resume(now=now)

    assert counts == {"reclaimed": 1, "given_up": 0, "sent": 3, "deleted": 1}
    # No broker in tests: the tasks ran at once, each laying its job out.
    assert sorted(fake_layout) == ["http://testserver/"] * 3
    status = dict(PackPdf.objects.values_list("key", "status"))
    assert status == {
        "dead": "done", "alive": "running", "lost": "done", "never": "done", "queued": "pending",
    }  # fmt: skip
    assert not PackPdf.objects.filter(pk=old.pk).exists()
    assert PackPdf.objects.get(pk=dead.pk).attempts == 1
    assert bytes(PackPdf.objects.get(pk=lost.pk).content) == b"%PDF-fake <h1>lost</h1>"


def test_a_request_revives_a_stalled_job_and_reuses_a_finished_one(pack, settings, fake_layout):
    settings.REVIEW_PDF_LEASE_SECONDS = 420
    html = "<h1>pack</h1>"
    job = pack_pdf_request(pack=pack, html=html)
    assert job.status == "pending"  # its message waits for the commit
    PackPdf.objects.filter(pk=job.pk).update(
        status="running", claim="dead", claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    job = pack_pdf_request(pack=pack, html=html)
    assert (job.status, job.claim, job.enqueued_at is not None) == ("pending", "", True)
    assert pack_pdf_render(job_id=job.pk) == "done"
    again = pack_pdf_request(pack=pack, html=html)
    assert (again.pk, again.status) == (job.pk, "done")
    assert len(fake_layout) == 1


def test_a_render_error_is_retried_then_given_up(pack, monkeypatch):
    def broken(html, *, base_url):
        raise RuntimeError("layout failed")

    monkeypatch.setattr("reviews.pdf.html_to_pdf_pages", broken)
    job = _job(pack, "broken")
    results = [pack_pdf_render(job_id=job.pk) for _ in range(MAX_ATTEMPTS)]
    assert results == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", MAX_ATTEMPTS)
    assert "layout failed" in job.error
    assert pack_pdf_render(job_id=job.pk) == "nothing to do"


def test_a_render_taken_back_meanwhile_is_stored_by_its_new_claimant_only(pack, monkeypatch):
    job = _job(pack, "slow")

    def slow(html, *, base_url):
        # While this worker lays it out, it looks dead: the sweep takes the job back.
        PackPdf.objects.filter(pk=job.pk).update(status="pending", claim="")
        return b"%PDF-late", 1

    monkeypatch.setattr("reviews.pdf.html_to_pdf_pages", slow)
    assert pack_pdf_render(job_id=job.pk) == "reclaimed"
    job.refresh_from_db()
    assert job.status == "pending"
    assert job.content is None
