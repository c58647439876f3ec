from __future__ import annotations

from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The pages and API that span the core apps (issue #20): the overview, the browse lists'
    pages and the search, the objective and initiative pages, the setup checklist and the
    plan's management pages, and the strategy and initiatives endpoints. It sits above
    ``metrics``, so that ``strategy`` and ``initiatives`` import nothing above them; the URL
    namespaces stay those of the pages' subjects (``strategy:``, ``initiatives:``)."""

    name = "workspace"
