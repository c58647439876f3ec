"""The token signals ``strategy.services`` sends (the security log listens to them):

* ``token_created(token, created_by)``: after ``token_create``, with the token's expiry set;
* ``tokens_revoked(user, token_ids, by, reason)``: after tokens were revoked; ``by`` is
  ``None`` when it was automatic (``reason``: ``"credentials_changed"``), else ``"revoked"``.

The receivers of this app are in ``strategy.receivers``.
"""

from __future__ import annotations

from django.dispatch import Signal

token_created = Signal()
tokens_revoked = Signal()
