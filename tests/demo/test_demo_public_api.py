"""The public names of annotask.demo are exactly its __all__, and every one of them exists."""

from __future__ import annotations

import annotask.demo


def test_public_names_are_all_exported() -> None:
    public = {name for name in vars(annotask.demo) if not name.startswith("_")}
    modules = {
        *("detectors", "manifest", "preview", "scenes", "workspace", "annotations"),
        *("agent", "pipeline"),
    }
    assert public - modules == set(annotask.demo.__all__)
    assert all(hasattr(annotask.demo, name) for name in annotask.demo.__all__)
