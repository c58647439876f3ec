"""The project package as an app: its signal receivers (session stamps at sign-in, SQLite's
Unicode LIKE on each new connection)."""

from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


class ExecSupportConfig(AppConfig):
    """The project's app: connects the session sign-in stamp and SQLite's LIKE on start."""

    name = "execsupport"
    verbose_name = "ExecSupport"

    @override
    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created

        from execsupport.sessions import session_stamp_sign_in
        from execsupport.sqlite import sqlite_like_install

        user_logged_in.connect(session_stamp_sign_in, dispatch_uid="execsupport-session-stamps")
        connection_created.connect(sqlite_like_install, dispatch_uid="execsupport-sqlite-like")
