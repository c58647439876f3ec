"""Conditional requests: ETags for lists (``If-None-Match``) and optimistic concurrency on one
object (a version ETag, ``If-Match``, 412).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.db import models
from rest_framework import (
    exceptions,
    status,
)
from rest_framework.request import Request


def etag_for(*, request: Request, parts: Iterable[Any]) -> str:
    """A weak ETag over the data version and everything that shapes the response."""
    digest = hashlib.sha256()
    for part in (
        request.get_full_path(),
        request.user.pk,
        request.accepted_media_type if hasattr(request, "accepted_media_type") else "",
        *parts,
    ):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return f'W/"{digest.hexdigest()[:32]}"'


def if_none_match(request: Request, etag: str) -> bool:
    """True if the request's ``If-None-Match`` names this ETag (weak or strong) or is ``*``."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag.removeprefix("W/") in wanted


# --- optimistic concurrency (ETag / If-Match on one object) -----------------------------------
def version_etag(*, pk: Any, version: int) -> str:
    """The ETag of an object's version: strong, ``"<id>.<version>"``.

    It names the version of the object's own fields (raised at each save), not the bytes of a
    response: the latest score shown beside them changes without a new version, and a PATCH
    that sends it in ``If-Match`` must not fail because a score was recomputed meanwhile."""
    return f'"{pk}.{version}"'


# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; If-Match = "*" / #entity-tag.
ENTITY_TAG = r'(?:W/)?"[!#-~]*"'
IF_MATCH_PATTERN = rf"^(?:\*|{ENTITY_TAG}(?:[ \t]*,[ \t]*{ENTITY_TAG})*)$"
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_ENTITY_TAGS = re.compile(ENTITY_TAG)


def if_match_version(request: Request, *, instance: models.Model) -> int | None:
    """The version a write must find, from the request's ``If-Match``.

    ``None``: no header, or ``*`` (any current version); the write is not guarded. The
    current ``version`` when one of the listed tags names it (a weak ``W/`` tag, as a
    compressing proxy may hand out, counts as the same version). Raises ``ValidationError``
    (400) when the header is not a list of entity tags (``IF_MATCH_PATTERN``: an unquoted
    version, say), whatever the version, and ``PreconditionFailed`` (412) when no tag names
    the current version: the client read an older version.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if not _IF_MATCH.match(header):
        raise exceptions.ValidationError(
            {
                "If-Match": [
                    "The If-Match header is malformed: send the ETag exactly as it was "
                    'received, quotes included (e.g. "12.3"), several separated by commas, '
                    "or *."
                ]
            }
        )
    if header == "*" or not hasattr(instance, "version"):
        return None
    version = instance.version
    current = version_etag(pk=instance.pk, version=version)
    tags = {tag.removeprefix("W/") for tag in _ENTITY_TAGS.findall(header)}
    if current in tags:
        return version
    raise PreconditionFailed(etag=current, version=version, noun=str(instance._meta.verbose_name))


class PreconditionFailed(exceptions.APIException):
    """412: the object is no longer at the version the client read (``If-Match``)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, *, etag: str | None, version: int | None, noun: str = "object"):
        if version is None:
            detail = f"This {noun} was deleted by someone else since you read it."
        else:
            detail = (
                f"This {noun} was changed by someone else since you read it: it is now at "
                f"version {version} (ETag {etag}), which your If-Match does not name. Nothing "
                "was written. Read it again (GET), reapply your change and send the new ETag."
            )
        super().__init__(detail=detail)
        self.etag = etag
