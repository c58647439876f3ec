"""A broken SMTP server delays notifications but never loses one (issue #16): a real Celery
worker sends the outbox to a real SMTP server on loopback that is down when the messages are
written (connections refused) and comes up a few seconds later; every message arrives exactly
once, after failed attempts recorded on its outbox row."""

from __future__ import annotations

import email
import socket
import socketserver
import threading
import time

import pytest
from django.db import transaction

from metrics.models import Alert, OutboxMessage
from metrics.notifications import alerts_notify
from metrics.preferences import notification_send
from tests.factories import AlertFactory, MembershipFactory, ObjectiveFactory, UserFactory
from tests.integration.conftest import worker_start, worker_stop

pytestmark = pytest.mark.integration


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 test ESMTP")
        data, lines = False, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data:
                if line.rstrip(b"\r\n") == b".":
                    self.server.messages.append(b"".join(lines))
                    data, lines = False, []
                    self._say("250 OK queued")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self._say("250-test")
                self._say("250 8BITMIME")
            elif verb == b"DATA":
                data = True
                self._say("354 End data with <CR><LF>.<CR><LF>")
            elif verb == b"QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("250 OK")


class SMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int):
        super().__init__(("127.0.0.1", port), SMTPHandler)
        self.messages: list[bytes] = []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_smtp_down_then_up_delivers_every_message_once(transactional_db, broker, team):
    port = _free_port()  # nothing listens yet: the SMTP server is down
    worker = worker_start(
        broker,
        name="smtp",
        env={
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "EMAIL_USE_TLS": "false",
            "GAP_OUTBOX_BACKOFF_SECONDS": "1",
            "GAP_OUTBOX_MAX_ATTEMPTS": "30",
        },
    )
    server = None
    try:
        people = [UserFactory(email=f"p{i}@example.com") for i in range(4)]
        for person in people:
            MembershipFactory(user=person, team=team)
        objective = ObjectiveFactory(team=team, title="Grow the mid-market")
        for i, person in enumerate(people[:3]):
            with transaction.atomic():
                notification_send(
                    recipient=person,
                    kind="mention",
                    subject_obj=objective,
                    title=f"Mention number {i}",
                    text="Please look.",
                )
        alert = AlertFactory(team=team, owner=people[3], severity=Alert.Severity.CRITICAL)
        with transaction.atomic():
            alerts_notify(alert_ids=[alert.id])
        rows = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.IMMEDIATE)
        assert rows.count() == 4
        # The worker tries, fails (connection refused) and records it.
        assert _wait_for(
            lambda: rows.filter(attempts__gte=2, status="pending").count() == 4, timeout=45
        ), list(rows.values("attempts", "status", "last_error"))
        assert all(r.last_error for r in rows)

        server = SMTPServer(port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        assert _wait_for(lambda: rows.filter(status="sent").count() == 4, timeout=90), list(
            rows.values("attempts", "status", "last_error")
        )
        time.sleep(3)  # any duplicate would arrive now
        subjects = sorted(email.message_from_bytes(m)["Subject"] for m in server.messages)
        assert len(subjects) == 4, subjects
        assert len(set(subjects)) == 4
        assert [s for s in subjects if "Mention number" in s] == [
            "[ExecSupport] Mention number 0",
            "[ExecSupport] Mention number 1",
            "[ExecSupport] Mention number 2",
        ]
        alert.refresh_from_db()
        assert alert.notified_at is not None  # set only once the e-mail left
    finally:
        worker_stop(worker)
        if server is not None:
            server.shutdown()
            server.server_close()
