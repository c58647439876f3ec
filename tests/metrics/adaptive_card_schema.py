"""The structure of a Microsoft Teams incoming-webhook message holding an Adaptive Card, as a
JSON Schema written from Microsoft's documentation (Teams: "Send Adaptive Cards using an
Incoming Webhook"; adaptivecards.io explorer pages of AdaptiveCard, TextBlock, Container,
FactSet and Action.OpenUrl, version 1.4, the highest Teams renders in webhooks).

It covers the elements ExecSupport sends, with the values each property may take; an element
of another type is refused (``additionalProperties`` is left open only where the spec lists
more optional properties than we use)."""

from __future__ import annotations

COLORS = ["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"]
CONTAINER_STYLES = ["default", "emphasis", "good", "attention", "warning", "accent"]

_open_url = {
    "type": "object",
    "required": ["type", "url"],
    "properties": {
        "type": {"const": "Action.OpenUrl"},
        "url": {"type": "string", "format": "uri", "pattern": "^https?://"},
        "title": {"type": "string"},
    },
    "additionalProperties": False,
}

_text_block = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"const": "TextBlock"},
        "text": {"type": "string"},
        "color": {"enum": COLORS},
        "weight": {"enum": ["Default", "Lighter", "Bolder"]},
        "size": {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]},
        "wrap": {"type": "boolean"},
        "isSubtle": {"type": "boolean"},
        "separator": {"type": "boolean"},
    },
    "additionalProperties": False,
}

_fact_set = {
    "type": "object",
    "required": ["type", "facts"],
    "properties": {
        "type": {"const": "FactSet"},
        "facts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "value"],
                "properties": {"title": {"type": "string"}, "value": {"type": "string"}},
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}

_container = {
    "type": "object",
    "required": ["type", "items"],
    "properties": {
        "type": {"const": "Container"},
        "style": {"enum": CONTAINER_STYLES},
        "separator": {"type": "boolean"},
        "items": {"type": "array", "items": {"oneOf": [_text_block, _fact_set]}},
        "selectAction": _open_url,
    },
    "additionalProperties": False,
}

ADAPTIVE_CARD_SCHEMA = {
    "type": "object",
    "required": ["type", "version", "body"],
    "properties": {
        "$schema": {"const": "http://adaptivecards.io/schemas/adaptive-card.json"},
        "type": {"const": "AdaptiveCard"},
        "version": {"enum": ["1.0", "1.1", "1.2", "1.3", "1.4"]},
        "body": {"type": "array", "items": {"oneOf": [_text_block, _fact_set, _container]}},
        "actions": {"type": "array", "items": _open_url},
    },
    "additionalProperties": False,
}

TEAMS_MESSAGE_SCHEMA = {
    "type": "object",
    "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": "null"},
                    "content": ADAPTIVE_CARD_SCHEMA,
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
