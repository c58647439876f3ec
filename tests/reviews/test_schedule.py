"""The beat job: packs of due meetings, once each, e-mailed to the participants; a failure
leaves nothing half done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from metrics.models import OutboxMessage
from reviews.models import Meeting, Pack, PackPdf
from reviews.pdf import pack_pdf_render
from reviews.services import packs_freeze_due
from reviews.tasks import packs_freeze_due as task


def test_due_meetings_get_one_pack_and_one_email_each(
    review, meeting, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://es.example.com"
    later = Meeting.objects.create(review=review, starts_at=timezone.now() + dt.timedelta(days=1))
    cancelled = Meeting.objects.create(
        review=review, starts_at=timezone.now() - dt.timedelta(days=1), status="cancelled"
    )
    with django_capture_on_commit_callbacks(execute=True):
        frozen = task.apply().get()
    assert frozen == [Pack.objects.get(meeting=meeting).pk]
    assert not Pack.objects.filter(meeting__in=[later, cancelled]).exists()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    emails = OutboxMessage.objects.filter(alert_ids=[])
    assert emails.count() == review.participants.count() == 2
    assert {m.to[0] for m in mail.outbox} == {p.email for p in review.participants.all()}
    assert f"https://es.example.com/reviews/packs/{frozen[0]}/" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        assert packs_freeze_due() == []  # twice: nothing more
    assert Pack.objects.count() == 1
    assert OutboxMessage.objects.count() == 2


def test_a_failure_leaves_no_pack_no_email_and_is_retried(review, meeting, monkeypatch):
    import reviews.services.packs as services

    real = services.pack_snapshot

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "pack_snapshot", broken)
    with pytest.raises(RuntimeError):
        packs_freeze_due()
    assert not Pack.objects.exists()
    assert not OutboxMessage.objects.exists()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    monkeypatch.setattr(services, "pack_snapshot", real)
    assert len(packs_freeze_due()) == 1  # the next run does it


def test_the_beat_schedule_runs_the_job(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reviews-freeze-due-packs"]
    assert entry["task"] == task.name


def test_minutes_are_emailed_once_to_the_participants(
    client, meeting, leader, member, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from reviews.services import action_item_create, decision_record, pack_freeze

    pack_freeze(meeting=meeting)
    decision_record(
        meeting=meeting, text="Hire a data engineer", decided_by=leader, recorded_by=leader
    )
    action_item_create(
        title="Open the position",
        owner=member,
        due_date=timezone.localdate(),
        created_by=leader,
        meeting=meeting,
    )
    url = reverse("reviews:meeting-minutes", args=[meeting.pk])
    client.force_login(member)  # a participant, not who runs the review
    assert client.post(url).status_code == 403
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
        assert client.post(url).status_code == 302  # once only
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {leader.email, member.email}
    assert "Hire a data engineer" in mail.outbox[0].body
    assert "Open the position" in mail.outbox[0].body
    meeting.refresh_from_db()
    assert meeting.minutes_sent_at is not None


def _send_all() -> list[str]:
    from metrics.notifications import outbox_attempt

    return [
        outbox_attempt(message_id=pk)
        for pk in OutboxMessage.objects.order_by("id").values_list("id", flat=True)
    ]


def _render_pending() -> list[str]:
    """What the worker does with each pending PDF job."""
    return [
        pack_pdf_render(job_id=pk)
        for pk in PackPdf.objects.filter(status="pending")
        .order_by("id")
        .values_list("id", flat=True)
    ]


def test_with_pdf_email_each_participant_gets_the_pack_as_they_may_see_it(
    review,
    meeting,
    member,
    leader,
    private_plan,
    other_team,
    settings,
    fake_layout,
    django_capture_on_commit_callbacks,
):
    """The e-mail waits (is retried) while each recipient's PDF is made by a worker, then
    carries the stored PDF of what that recipient may see (the stand-in layout's "PDF" is
    the HTML it was given)."""
    settings.REVIEW_PACK_PDF_EMAIL = True
    settings.CELERY_TASK_ALWAYS_EAGER = False  # send below, one attempt at a time
    with django_capture_on_commit_callbacks(execute=False):
        frozen = packs_freeze_due()
    with django_capture_on_commit_callbacks(execute=False):
        assert packs_freeze_due() == []  # twice: still one pack, one e-mail each
    assert len(frozen) == 1
    assert OutboxMessage.objects.count() == 2
    mail.outbox.clear()
    assert _send_all() == ["retry", "retry"]  # the PDFs are being made
    assert "not ready" in OutboxMessage.objects.first().last_error
    assert set(_render_pending()) == {"done"}
    OutboxMessage.objects.update(claimed_at=None)
    assert _send_all() == ["sent", "sent"]
    by_person = {m.to[0]: m for m in mail.outbox}
    hidden = [o.title for o in private_plan.objectives if o.team_id == other_team.pk]
    pdf_url = reverse("reviews:pack-pdf", args=frozen)
    for person, sees_hidden in ((member, False), (leader, None)):
        message = by_person[person.email]
        assert pdf_url in message.body
        [(filename, content, mimetype)] = message.attachments
        assert mimetype == "application/pdf"
        assert filename.startswith("pack-monthly-business-review-")
        assert content.startswith(b"%PDF-fake")
        text = content.decode()
        assert "What changed" in text
        if sees_hidden is False:
            assert all(title not in text for title in hidden)
            assert "parts you cannot see" in text


def test_a_pdf_not_ready_by_the_last_attempt_leaves_with_its_link_only(
    review, meeting, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The e-mail never carries part of a PDF: it is retried while the PDF is being made or
    failing, and its last attempt goes without it, with the link that serves it when ready."""
    settings.REVIEW_PACK_PDF_EMAIL = True
    with django_capture_on_commit_callbacks(execute=False):
        packs_freeze_due()

    def failing(html, *, base_url):
        raise RuntimeError("layout failed")

    monkeypatch.setattr("reviews.pdf.html_to_pdf_pages", failing)
    mail.outbox.clear()
    assert _send_all() == ["retry", "retry"]
    assert set(_render_pending()) == {"retry"}
    assert mail.outbox == []
    OutboxMessage.objects.update(claimed_at=None, attempts=settings.GAP_OUTBOX_MAX_ATTEMPTS - 1)
    assert _send_all() == ["sent", "sent"]
    assert all(m.attachments == [] for m in mail.outbox)
    assert all("/pdf/" in m.body for m in mail.outbox)


def test_without_the_setting_the_email_has_no_attachment(
    review, meeting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        packs_freeze_due()
    assert len(mail.outbox) == 2
    assert all(not m.attachments and "PDF" not in m.body for m in mail.outbox)


def test_minutes_leave_by_themselves_once_after_a_held_meeting(review, meeting, leader, member):
    from reviews.services import action_item_create, meetings_minutes_due

    pack_meeting = meeting
    Meeting.objects.filter(pk=pack_meeting.pk).update(status="held")
    quiet = Meeting.objects.create(
        review=review, starts_at=timezone.now() - dt.timedelta(hours=5), status="held"
    )
    action_item_create(
        title="Send the churn analysis",
        owner=member,
        due_date=timezone.localdate() + dt.timedelta(days=3),
        created_by=leader,
        meeting=pack_meeting,
    )
    now = timezone.now()
    # Too early: the meeting started an hour ago (the fixture), the minutes wait.
    assert meetings_minutes_due(now=now) == []
    later = now + dt.timedelta(hours=3)
    assert meetings_minutes_due(now=later) == [pack_meeting.pk]  # not the one with nothing
    assert meetings_minutes_due(now=later) == []
    messages = OutboxMessage.objects.filter(subject__startswith="Minutes:")
    assert sorted(m.to_address for m in messages) == sorted([leader.email, member.email])
    assert "Send the churn analysis" in messages.first().body
    quiet.refresh_from_db()
    assert quiet.minutes_sent_at is None
