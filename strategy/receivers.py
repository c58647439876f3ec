"""A person's API tokens are revoked when their password changes or they are deactivated,
however that happens (password change or reset pages, the admin, ``changepassword``, code).
Connected when the app is ready (``StrategyConfig.ready``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models.signals import pre_save
from django.dispatch import receiver

from strategy.services import tokens_revoke_for_user


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens_revoke_on_change")
def tokens_revoke_on_credentials_change(sender, instance, raw=False, update_fields=None, **kw):
    """Before a person is saved: if a new password was set (``set_password``: Django keeps
    the raw one until the save), their password was made unusable, or they were deactivated,
    revoke their live tokens (``tokens_revoke_for_user``). The re-hash of the same password
    at sign-in (hasher upgrade) keeps them. At most one query to compare, none for new
    people and for saves that touch neither field (e.g. ``last_login``)."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    if getattr(instance, "_password", None) is not None:
        tokens_revoke_for_user(user_id=instance.pk)
        return
    before = get_user_model().objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    made_unusable = before["password"] != instance.password and instance.password.startswith(
        UNUSABLE_PASSWORD_PREFIX
    )
    if made_unusable or (before["is_active"] and not instance.is_active):
        tokens_revoke_for_user(user_id=instance.pk)
