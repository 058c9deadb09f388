"""``annotask export`` and ``annotask import``: COCO and JSON files; bad input changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import Invoke, add_boxes, boxes, record_sizes, versions

WIDTH, HEIGHT = 32, 24


@pytest.fixture
def labelled(cli: Invoke, demo_project: str, db_url: str) -> str:
    """The demo project with sizes recorded and car boxes on img0 (two) and img2 (one)."""
    record_sizes(db_url, WIDTH, HEIGHT)
    add_boxes(db_url, demo_project, "img0.png", 0.125, 0.5)
    add_boxes(db_url, demo_project, "img2.png", 0.25)
    return demo_project


@pytest.fixture
def copy_project(cli: Invoke, labelled: str, definition_files: tuple[Path, Path]) -> str:
    """A second project 'copy' over the same images, with no labels."""
    ontology, workflow = definition_files
    result = cli(
        "project", "create", "--title", "copy", "--dataset", "images",
        "--ontology", str(ontology), "--workflow", str(workflow),
    )  # fmt: skip
    return result.stdout.strip()


def _coco(**changes: Any) -> dict[str, Any]:
    """A small valid COCO document for the demo images (img0: one car, img1: one car)."""
    coco: dict[str, Any] = {
        "images": [
            {"id": 1, "file_name": "img0.png", "width": WIDTH, "height": HEIGHT},
            {"id": 2, "file_name": "img1.png", "width": WIDTH, "height": HEIGHT},
        ],
        "categories": [{"id": 3, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 3, "bbox": [4, 6, 8, 12]},
            {"id": 2, "image_id": 2, "category_id": 3, "bbox": [0, 0, 16, 12], "score": 0.5},
        ],
    }
    coco.update(changes)
    return coco


def _write(tmp_path: Path, document: Any, name: str = "in.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_a_coco_export_imports_into_another_project_with_the_same_boxes(
    cli: Invoke, labelled: str, copy_project: str, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "coco.json"
    exported = cli("export", "demo", "--format", "coco", str(out))
    assert exported.stdout.strip().endswith(f"to {out} (COCO)")
    assert "wrote 4 image(s) and 3 annotation(s)" in exported.stdout
    imported = cli("import", "copy", "--format", "coco", str(out))
    assert imported.stdout.startswith(
        "imported 3 annotation(s) as 3 object(s) into 2 label row(s) of project 'copy'"
    )
    assert boxes(db_url, copy_project) == boxes(db_url, labelled)
    assert boxes(db_url, copy_project)["img0.png"] == [
        (0.125, 0.25, 0.25, 0.5, 0.75),
        (0.5, 0.25, 0.25, 0.5, 0.75),
    ]
    assert versions(db_url, copy_project) == {
        "img0.png": 1, "img1.png": 0, "img2.png": 1, "img3.png": 0,
    }  # fmt: skip


def test_an_import_in_add_mode_adds_to_the_labels_already_there_as_a_new_version(
    cli: Invoke, labelled: str, db_url: str, tmp_path: Path
) -> None:
    cli("import", "demo", "-f", "coco", "--mode", "add", _write(tmp_path, _coco()))
    found = boxes(db_url, labelled)
    assert found["img0.png"] == [
        (0.125, 0.25, 0.25, 0.5, 0.75),
        (0.125, 0.25, 0.25, 0.5, 1.0),
        (0.5, 0.25, 0.25, 0.5, 0.75),
    ]
    assert found["img1.png"] == [(0.0, 0.0, 0.5, 0.5, 0.5)]
    assert versions(db_url, labelled)["img0.png"] == 3
    history = cli("labels", "history", "demo", "img0.png").stdout
    assert "img0.png: 3 version(s)" in history


def test_the_json_export_holds_every_row_with_its_labels_document(
    cli: Invoke, labelled: str, tmp_path: Path
) -> None:
    out = tmp_path / "labels.json"
    result = cli("export", "demo", "--format", "json", str(out))
    assert result.stdout.strip() == (
        f"wrote 4 label row(s) of project 'demo' ({labelled}) to {out}"
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["schema"] == "annotask.export"
    assert document["project"]["project_hash"] == labelled
    rows = {r["data_title"]: r for r in document["label_rows"]}
    assert sorted(rows) == ["img0.png", "img1.png", "img2.png", "img3.png"]
    assert rows["img0.png"]["version"] == 2
    assert len(rows["img0.png"]["labels"]["objects"]) == 2
    assert rows["img1.png"]["labels"]["objects"] == []
    assert rows["img0.png"]["labels"]["schema"] == "annotask.labels"


def test_a_coco_export_of_items_with_no_recorded_size_is_an_error_and_writes_nothing(
    cli: Invoke, image_files: list[Path], definition_files: tuple[Path, Path], tmp_path: Path
) -> None:
    ontology, workflow = definition_files
    cli("dataset", "create", "unprobed")
    cli("dataset", "add", "unprobed", "--no-probe", *map(str, image_files))
    cli(
        "project", "create", "--title", "unsized", "--dataset", "unprobed",
        "--ontology", str(ontology), "--workflow", str(workflow),
    )  # fmt: skip
    out = tmp_path / "coco.json"
    result = cli("export", "unsized", "--format", "coco", str(out), code=1)
    assert "COCO export needs the pixel size of every image" in result.stderr
    assert "the json format exports labels without sizes" in result.stderr
    assert not out.exists()


def test_an_export_into_a_missing_folder_is_an_error(
    cli: Invoke, labelled: str, tmp_path: Path
) -> None:
    out = tmp_path / "no" / "labels.json"
    result = cli("export", "demo", "--format", "json", str(out), code=1)
    assert f"error: cannot write {out}: folder {out.parent} does not exist" in result.stderr


# Each bad COCO document: what it is, and what the error must say.
BAD_COCO: dict[str, tuple[Any, str]] = {
    "a category absent from the ontology": (
        _coco(categories=[{"id": 3, "name": "car"}, {"id": 4, "name": "bus"}],
              annotations=[*_coco()["annotations"],
                           {"id": 3, "image_id": 1, "category_id": 4, "bbox": [1, 1, 2, 2]}]),
        "categories 'bus' are not object classes of the ontology ('car', 'person'); "
        "pass skip_unknown=True (--skip-unknown)",
    ),
    "an image matching no data item": (
        _coco(images=[*_coco()["images"],
                      {"id": 9, "file_name": "cat.png", "width": WIDTH, "height": HEIGHT}],
              annotations=[*_coco()["annotations"],
                           {"id": 3, "image_id": 9, "category_id": 3, "bbox": [1, 1, 2, 2]}]),
        "images 'cat.png' match no data item of project 'demo'",
    ),
    "a category id not among the categories": (
        _coco(annotations=[{"id": 1, "image_id": 1, "category_id": 77, "bbox": [1, 1, 2, 2]}]),
        "annotation 1: category_id 77 is not among the categories",
    ),
    "an image id not among the images": (
        _coco(annotations=[{"id": 1, "image_id": 5, "category_id": 3, "bbox": [1, 1, 2, 2]}]),
        "annotation 1: image_id 5 is not among the images",
    ),
    "a box outside the image": (
        _coco(annotations=[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [20, 1, 30, 2]}]),
        "bbox right edge 50.0 lies outside the image (0..32)",
    ),
    "an image of another size than its data item": (
        _coco(images=[{"id": 1, "file_name": "img0.png", "width": 64, "height": 48}],
              annotations=[]),
        "image 'img0.png' is 64x48, but its data item is 32x24",
    ),
    "a document that is not a mapping": ([1, 2], "a COCO document is a JSON object"),
    "an unhashable image id": (
        _coco(annotations=[{"id": 1, "image_id": [1], "category_id": {}, "bbox": [1, 1, 2, 2]}]),
        "annotations[0].image_id: Input should be a valid integer",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_COCO)
def test_a_bad_coco_file_is_an_error_and_changes_nothing(
    case: str, cli: Invoke, labelled: str, db_url: str, tmp_path: Path
) -> None:
    document, expected = BAD_COCO[case]
    before = boxes(db_url, labelled), versions(db_url, labelled)
    result = cli("import", "demo", "--format", "coco", _write(tmp_path, document), code=1)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert expected in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert (boxes(db_url, labelled), versions(db_url, labelled)) == before


def test_a_file_that_is_not_json_is_an_error_naming_it(
    cli: Invoke, labelled: str, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"images": [', encoding="utf-8")
    before = versions(db_url, labelled)
    result = cli("import", "demo", "--format", "coco", str(path), code=1)
    assert result.stderr.startswith(f"error: COCO file {path} is not JSON (truncated?)")
    assert "nothing was imported" in result.stderr
    assert versions(db_url, labelled) == before


def test_skip_flags_import_the_rest_and_report_what_was_skipped(
    cli: Invoke, labelled: str, db_url: str, tmp_path: Path
) -> None:
    document = _coco(
        images=[*_coco()["images"], {"id": 9, "file_name": "cat.png", "width": 8, "height": 8}],
        categories=[{"id": 3, "name": "car"}, {"id": 4, "name": "bus"}],
        annotations=[
            *_coco()["annotations"],
            {"id": 3, "image_id": 9, "category_id": 3, "bbox": [1, 1, 2, 2]},
            {"id": 4, "image_id": 2, "category_id": 4, "bbox": [1, 1, 2, 2]},
        ],
    )
    path = _write(tmp_path, document)
    result = cli(
        "import", "demo", "-f", "coco", path, "--skip-unknown", "--skip-unmatched", "--mode", "add"
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("imported 2 annotation(s) as 2 object(s) into 2 label row(s)")
    assert lines[1:] == [
        "skipped 2 annotation(s):",
        "  images matching no data item: 'cat.png'",
        "  categories not in the ontology: 'bus'",
    ]
    assert boxes(db_url, labelled)["img1.png"] == [(0.0, 0.0, 0.5, 0.5, 0.5)]


def test_an_image_name_two_data_items_share_is_an_error(
    cli: Invoke, labelled: str, definition_files: tuple[Path, Path], db_url: str, tmp_path: Path
) -> None:
    ontology, workflow = definition_files
    cli("dataset", "create", "more")
    cli("dataset", "add", "more", str(tmp_path / "images" / "img0.png"))
    cli(
        "project", "create", "--title", "both", "--dataset", "images", "--dataset", "more",
        "--ontology", str(ontology), "--workflow", str(workflow),
    )  # fmt: skip
    result = cli("import", "both", "-f", "coco", _write(tmp_path, _coco()), code=1)
    assert "images 'img0.png' each match several data items of project 'both'" in (
        " ".join(result.stderr.split())
    )
    assert set(versions(db_url, "both").values()) == {0}


@pytest.mark.parametrize("format_", ["coco", "yolo", "voc", "cvat", "labelstudio", "json"])
def test_every_format_exports_and_imports_into_another_project_with_the_same_boxes(
    format_: str, cli: Invoke, labelled: str, copy_project: str, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / f"out-{format_}"
    cli("export", "demo", "--format", format_, str(out))
    if format_ == "yolo":
        assert sorted(p.name for p in (out / "images").iterdir())[:1] == ["img0.png"]
    imported = cli("import", "copy", "--format", format_, str(out))
    assert "as 3 object(s) into 2 label row(s) of project 'copy'" in imported.stdout
    keep_confidence = format_ in ("coco", "json")
    ours = {
        k: [b if keep_confidence else b[:4] for b in v] for k, v in boxes(db_url, labelled).items()
    }
    theirs = {
        k: [b if keep_confidence else b[:4] for b in v]
        for k, v in boxes(db_url, copy_project).items()
    }
    assert theirs == ours


def test_importing_twice_changes_nothing_by_default_and_replace_keeps_one_copy(
    cli: Invoke, labelled: str, copy_project: str, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "labels.json"
    cli("export", "demo", "--format", "json", str(out))
    cli("import", "copy", "--format", "json", str(out))
    before = versions(db_url, copy_project)
    again = cli("import", "copy", "--format", "json", str(out))
    assert "into 0 label row(s)" in again.stdout
    assert "left 2 label row(s) that already hold objects as they were" in again.stdout
    assert versions(db_url, copy_project) == before
    replaced = cli("import", "copy", "--format", "json", "--mode", "replace", str(out))
    assert "replaced 3 object(s) that were there" in replaced.stdout
    assert boxes(db_url, copy_project) == boxes(db_url, labelled)
    added = cli("import", "copy", "--format", "json", "--mode", "add", str(out))
    assert "as 3 object(s) into 2 label row(s)" in added.stdout
    assert len(boxes(db_url, copy_project)["img0.png"]) == 4
