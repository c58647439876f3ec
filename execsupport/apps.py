"""The project package as an app: its signal receivers (session stamps at sign-in)."""

from __future__ import annotations

from django.apps import AppConfig


class ExecSupportConfig(AppConfig):
    name = "execsupport"
    verbose_name = "ExecSupport"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from execsupport.sessions import session_stamp_sign_in

        user_logged_in.connect(session_stamp_sign_in, dispatch_uid="execsupport-session-stamps")
