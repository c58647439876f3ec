"""OpenAPI description of the token authentication (drf-spectacular extension)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from typing_extensions import override


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes ``ApiTokenAuthentication`` in the OpenAPI schema as the ``apiToken`` bearer
    scheme."""

    target_class = "strategy.permissions.ApiTokenAuthentication"
    name = "apiToken"

    @override
    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token: `Authorization: Bearer es_…`. Scopes: read, "
            "write:measurements, write:initiatives, admin.",
        }
