"""Schema: the OpenAPI post-processing (errors, versioning headers, links)."""

from __future__ import annotations

import copy

from execsupport.api.conditional import IF_MATCH_PATTERN

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input; `errors` lists every field (and row index) at fault.",
    "401": "No valid credentials.",
    "403": "Signed in but not allowed (role or token scope).",
    "404": "No such object, or not visible to you.",
    "405": "Method not allowed here.",
    "406": "The Accept header asks for a format this endpoint does not produce.",
    "409": "Conflicts with existing data (e.g. still referenced).",
    "412": "The object was saved by someone else since the version If-Match names.",
    "415": "Unsupported request content type.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


def schema_postprocess(result: dict, generator, request, public) -> dict:
    """Document the shared error responses on every operation, and links between operations."""
    from execsupport.openapi import describe_csv  # drf-spectacular imports DRF's settings

    components = result.setdefault("components", {}).setdefault("schemas", {})
    if "Error" not in components:
        components["ErrorItem"] = {
            "type": "object",
            "properties": {
                "field": {"type": "string"},
                "index": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
            },
            "required": ["field", "code", "message"],
        }
        components["Error"] = {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"}},
            },
            "required": ["status", "code", "detail", "errors"],
        }
    paths = result.get("paths", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "401", "403", "404", "405", "406", "415", "429"]
            if method == "delete":
                codes.append("409")
            for code in codes:
                if code not in responses:
                    responses[code] = {
                        "content": {"application/json": {"schema": ERROR_REF}},
                        "description": ERROR_DESCRIPTIONS[code],
                    }
            if method == "get" and "{" not in path and "304" not in responses:
                responses["304"] = {"description": "Not modified (If-None-Match matched)."}
    _add_versioning(paths)
    _add_links(paths)
    describe_csv(paths)
    return result


ETAG_HEADER = {
    "ETag": {
        "description": 'The version of the object, `"<id>.<version>"`: send it in If-Match '
        "when changing the object.",
        "schema": {"type": "string"},
    }
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag of the version you read (or `*`): if the object was saved since, "
    "nothing is written and the answer is 412. Without it the change is written whatever the "
    "version (only the fields sent). A header that is not a list of quoted ETags is a 400.",
    "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
}


def _add_versioning(paths: dict) -> None:
    """Objects that can be changed (a PATCH on their path) are versioned (``VersionedModel``):
    document the ETag of their responses, If-Match on the PATCH and its 412."""
    for path, operations in paths.items():
        if "{" not in path or "patch" not in operations:
            continue
        patch = operations["patch"]
        parameters = patch.setdefault("parameters", [])
        if not any(p.get("name") == "If-Match" for p in parameters):
            parameters.append(copy.deepcopy(IF_MATCH))
        patch["responses"]["412"] = {
            "content": {"application/json": {"schema": ERROR_REF}},
            "description": "The object was saved by someone else since the version If-Match "
            "names; nothing was written. The ETag header gives the current version.",
            "headers": copy.deepcopy(ETAG_HEADER),
        }
        collection = path[: path.rstrip("/").rfind("/") + 1]
        for operation, code in (
            (patch, "200"),
            (operations.get("get"), "200"),
            (paths.get(collection, {}).get("post"), "201"),
        ):
            response = (operation or {}).get("responses", {}).get(code)
            if response is not None:
                response.setdefault("headers", {}).update(copy.deepcopy(ETAG_HEADER))


def _add_links(paths: dict) -> None:
    """OpenAPI links from each create to the retrieve/update/delete of what it created, so
    stateful tests (schemathesis) can follow them."""
    for path, operations in paths.items():
        create = operations.get("post")
        if not create or "{" in path:
            continue
        item_paths = [
            p
            for p in paths
            if p.startswith(path) and p[len(path) :].count("/") == 1 and p.endswith("}/")
        ]
        if not item_paths:
            continue
        item_path = item_paths[0]
        param = item_path[len(path) :].strip("/{}")
        created = create.get("responses", {}).get("201")
        if not created:
            continue
        links = created.setdefault("links", {})
        for method, verb in (("get", "Get"), ("patch", "Update"), ("delete", "Delete")):
            target = paths[item_path].get(method)
            if target and "operationId" in target:
                links[f"{verb}Created"] = {
                    "operationId": target["operationId"],
                    "parameters": {param: f"$response.body#/{'key' if param == 'key' else 'id'}"},
                }
