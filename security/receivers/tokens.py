"""API tokens: created and revoked (the token signals of ``strategy.services``), each named by a
reference that is not the token."""

from __future__ import annotations

from security.models import SecurityEvent
from security.services import security_event_record

Kind = SecurityEvent.Kind


TOKEN_REF_LENGTH = 12


def token_ref(token) -> str:
    """How the log names a token: the start of its digest (its primary key). Not the digest
    itself, and never its key (``es_…``, the first characters of the secret)."""
    return token.digest[:TOKEN_REF_LENGTH]


def on_token_created(sender, token, created_by, **kwargs) -> None:
    """Log an API token's creation: its reference, name, scopes and expiry (never the secret)."""
    security_event_record(
        kind=Kind.TOKEN_CREATED,
        actor=created_by,
        subject=token.user,
        details={
            "token": token_ref(token),
            "name": token.name,
            "scopes": list(token.scopes),
            "expires_at": token.expiry.isoformat() if token.expiry else None,
        },
    )


def on_tokens_revoked(sender, user, token_ids, by, reason, **kwargs) -> None:
    """Log the revocation of tokens (their references) and the reason."""
    security_event_record(
        kind=Kind.TOKEN_REVOKED,
        actor=by,
        subject=user,
        details={"tokens": [digest[:TOKEN_REF_LENGTH] for digest in token_ids], "reason": reason},
    )
