"""Label row (de)serialisation against plain json.dumps/json.loads of the same document.

Each row holds 50 objects (30 boxes with a static radio and a per-frame text answer, 10
six-point polygons and 10 points with a radio answer) and one classification. Prints::

    serialise_50_objects: N us/row        LabelRow.to_dict()
    parse_50_objects: N us/row            LabelRow.from_dict(document) (parse + checks)
    serialise_vs_json_dumps: 0.42x        to_dict / json.dumps of the document
    parse_vs_json_loads: 0.42x            from_dict / json.loads of its text
    load_modify_save_vs_json: 0.42x       loads+parse+add one object+to_dict+dumps
                                          over loads+dumps (the runner's path)

Run: ``PYTHONPATH=src python bench/labels_serialise.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from annotask.datatypes import DataType
from annotask.labels import (
    BoundingBoxCoordinates,
    ClassificationInstance,
    LabelRow,
    LabelRowMeta,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
)

ONTOLOGY = Ontology.from_dict(
    {
        "objects": [
            {
                "name": "car",
                "shape": "bounding_box",
                "attributes": [
                    {"name": "occluded", "type": "radio", "options": ["yes", "no"]},
                    {"name": "colour", "type": "text", "dynamic": True},
                ],
            },
            {
                "name": "road",
                "shape": "polygon",
                "attributes": [{"name": "kind", "type": "radio", "options": ["tar", "gravel"]}],
            },
            {
                "name": "sign",
                "shape": "point",
                "attributes": [{"name": "kind", "type": "radio", "options": ["stop", "yield"]}],
            },
        ],
        "classifications": [{"name": "weather", "type": "radio", "options": ["sunny", "rain"]}],
    }
)
META = LabelRowMeta(
    label_hash="bench",
    data_hash="bench",
    data_title="bench.jpg",
    data_type=DataType.IMAGE,
    width=1920,
    height=1080,
    number_of_frames=1,
    fps=None,
    priority=None,
    client_metadata={},
    workflow_stage=None,
    version=0,
    document=None,
)


def fill_row(row: LabelRow, seed: int) -> None:
    """Add the 50 objects and the classification described above to an initialised row
    whose ontology has this script's classes (by name)."""
    ontology = row.ontology
    car, road, sign = (ontology.get_object(name) for name in ("car", "road", "sign"))
    for i in range(50):
        f = ((seed * 50 + i) % 97) / 200
        if i < 30:
            instance = ObjectInstance(car)
            instance.set_for_frames(BoundingBoxCoordinates(f, f / 2, 0.25, 0.3), confidence=0.9)
            instance.set_answer("yes" if i % 2 else "no", attribute="occluded")
            instance.set_answer(f"colour {i}", attribute="colour")
        elif i < 40:
            instance = ObjectInstance(road)
            points = [
                (f + dx / 10, f / 2 + dy / 10)
                for dx, dy in ((0, 0), (1, 0), (2, 1), (2, 2), (1, 3), (0, 2))
            ]
            instance.set_for_frames(PolygonCoordinates(points))
            instance.set_answer("tar", attribute="kind")
        else:
            instance = ObjectInstance(sign)
            instance.set_for_frames(PointCoordinate(f, f))
            instance.set_answer("stop", attribute="kind")
        row.add_object_instance(instance)
    weather = ClassificationInstance(ontology.get_classification("weather"))
    weather.set_answer("sunny")
    row.add_classification_instance(weather)


def _row(seed: int) -> LabelRow:
    row = LabelRow(META, ONTOLOGY)
    row.initialise_labels()
    fill_row(row, seed)
    return row


def _best(run: Callable[[], None], items: int, repeats: int) -> float:
    """Best seconds per item over ``repeats`` runs of ``run`` (which handles ``items``)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, (time.perf_counter() - start) / items)
    return best


def _cycle(texts: list[str]) -> None:
    car = ONTOLOGY.get_object("car")
    for text in texts:
        row = LabelRow.from_dict(json.loads(text), META, ONTOLOGY)
        extra = ObjectInstance(car)
        extra.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), confidence=0.5)
        row.add_object_instance(extra)
        json.dumps(row.to_dict())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and repeats")
    args = parser.parse_args()
    count, repeats = (100, 3) if args.quick else (1000, 5)
    rows = [_row(seed) for seed in range(count)]
    documents = [row.to_dict() for row in rows]
    texts = [json.dumps(d) for d in documents]

    def each(work: Callable[[Any], object], items: list[Any]) -> Callable[[], None]:
        def run() -> None:
            for item in items:
                work(item)

        return run

    to_dict = _best(each(LabelRow.to_dict, rows), count, repeats)
    dumps = _best(each(json.dumps, documents), count, repeats)
    from_dict = _best(
        each(lambda d: LabelRow.from_dict(d, META, ONTOLOGY), documents), count, repeats
    )
    loads = _best(each(json.loads, texts), count, repeats)
    cycle = _best(lambda: _cycle(texts), count, repeats)
    plain = _best(each(lambda t: json.dumps(json.loads(t)), texts), count, repeats)

    print(f"serialise_50_objects: {to_dict * 1e6:.1f} us/row")
    print(f"parse_50_objects: {from_dict * 1e6:.1f} us/row")
    print(f"serialise_vs_json_dumps: {to_dict / dumps:.2f}x")
    print(f"parse_vs_json_loads: {from_dict / loads:.2f}x")
    print(f"load_modify_save_vs_json: {cycle / plain:.2f}x")


if __name__ == "__main__":
    main()
