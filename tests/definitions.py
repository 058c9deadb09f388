"""Definitions the tests share: the DESIGN.md workflow and a small ontology."""

from __future__ import annotations

from typing import Any

WORKFLOW: dict[str, Any] = {
    "start": "Pre-label",
    "stages": [
        {
            "name": "Pre-label",
            "type": "agent",
            "pathways": {"has objects": "Review", "empty": "Annotate"},
        },
        {"name": "Annotate", "type": "annotation", "pathways": {"submit": "Review"}},
        {
            "name": "Review",
            "type": "review",
            "pathways": {"approve": "Complete", "reject": "Annotate"},
        },
        {"name": "Complete", "type": "complete"},
    ],
}

ONTOLOGY: dict[str, Any] = {
    "objects": [{"name": "car", "shape": "bounding_box"}],
    "classifications": [{"name": "weather", "type": "radio", "options": ["sunny", "rain"]}],
}
