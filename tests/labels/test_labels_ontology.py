"""Ontology definitions: parsing, feature hashes, lookups and every malformed case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotask.errors import NotFoundError, ValidationError
from annotask.labels import AttributeType, Ontology, Shape
from annotask.labels._ontology_parse import derive_feature_hash


def test_yaml_example_from_design_parses_with_yes_no_as_option_names(ontology: Ontology) -> None:
    car = ontology.get_object("car")
    occluded = car.get_attribute("occluded")
    assert car.shape is Shape.BOUNDING_BOX
    assert occluded.type is AttributeType.RADIO
    assert [o.name for o in occluded.options] == ["yes", "no"]
    assert car.get_attribute("colour").dynamic is True
    assert occluded.dynamic is False


def test_nested_question_hangs_under_its_option(ontology: Ontology) -> None:
    weather = ontology.get_classification("weather")
    snow = weather.get_option("snow")
    assert [q.name for q in snow.questions] == ["depth"]
    assert weather.get_attribute("depth") is snow.questions[0]
    assert weather.tree.parents[snow.questions[0].feature_hash] == (weather, snow)


def test_skeleton_keeps_keypoints_and_edges(ontology: Ontology) -> None:
    person = ontology.get_object("person")
    assert person.keypoints == ("head", "left_hand", "right_hand")
    assert person.edges == (("head", "left_hand"), ("head", "right_hand"))


def test_feature_hashes_derive_from_the_path_of_names() -> None:
    ontology = Ontology.from_dict({"objects": [{"name": "car", "shape": "bounding_box"}]})
    assert ontology.get_object("car").feature_hash == derive_feature_hash(["object", "car"])
    assert len(ontology.get_object("car").feature_hash) == 8


def test_same_definition_gives_same_hashes_in_two_projects(ontology_path: Path) -> None:
    a, b = Ontology.from_file(ontology_path), Ontology.from_file(ontology_path)
    assert a.to_dict() == b.to_dict()
    assert a == b


def test_given_feature_hashes_are_kept() -> None:
    ontology = Ontology.from_dict(
        {
            "objects": [
                {
                    "name": "car",
                    "shape": "bounding_box",
                    "feature_hash": "car00001",
                    "attributes": [
                        {
                            "name": "occluded",
                            "type": "radio",
                            "feature_hash": "occ00001",
                            "options": [{"name": "yes", "feature_hash": "yes00001"}, "no"],
                        }
                    ],
                }
            ]
        }
    )
    car = ontology.get_object("car00001")
    assert car.name == "car"
    assert car.get_attribute("occ00001").get_option("yes00001").name == "yes"
    no = car.get_attribute("occluded").get_option("no")
    assert no.feature_hash == derive_feature_hash(
        ["object", "car", "attribute", "occluded", "option", "no"]
    )


def test_renaming_a_sibling_does_not_change_other_hashes() -> None:
    before = Ontology.from_dict(
        {"classifications": [{"name": "w", "type": "radio", "options": ["a", "b"]}]}
    )
    after = Ontology.from_dict(
        {"classifications": [{"name": "w", "type": "radio", "options": ["a", "c"]}]}
    )
    assert before.get_classification("w").get_option("a") == after.get_classification(
        "w"
    ).get_option("a")


def test_to_dict_round_trips_exactly(ontology: Ontology) -> None:
    written = ontology.to_dict()
    again = Ontology.from_dict(written)
    assert again == ontology
    assert again.to_dict() == written
    assert json.loads(json.dumps(written)) == written


def test_from_file_reads_json(tmp_path: Path, ontology: Ontology) -> None:
    path = tmp_path / "ontology.json"
    path.write_text(json.dumps(ontology.to_dict()))
    assert Ontology.from_file(path) == ontology


def test_from_file_missing_raises_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no ontology file"):
        Ontology.from_file(tmp_path / "absent.yaml")


def test_from_file_with_broken_yaml_raises_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("objects: [unclosed\n")
    with pytest.raises(ValidationError, match="cannot be read"):
        Ontology.from_file(path)


def test_lookup_by_hash_and_name_agree(ontology: Ontology) -> None:
    car = ontology.get_object("car")
    assert ontology.get_object(car.feature_hash) is car
    weather = ontology.get_classification("weather")
    assert ontology.get_classification(weather.feature_hash) is weather


def test_unknown_object_names_the_known_ones(ontology: Ontology) -> None:
    with pytest.raises(NotFoundError, match=r"'bus'.*'car', 'person'"):
        ontology.get_object("bus")


def test_unknown_classification_names_the_known_ones(ontology: Ontology) -> None:
    with pytest.raises(NotFoundError, match=r"'season'.*'weather', 'tags', 'caption'"):
        ontology.get_classification("season")


def test_unknown_attribute_and_option_name_the_known_ones(ontology: Ontology) -> None:
    car = ontology.get_object("car")
    with pytest.raises(NotFoundError, match=r"'speed'.*'occluded'"):
        car.get_attribute("speed")
    with pytest.raises(NotFoundError, match=r"'maybe'.*'yes', 'no'"):
        car.get_attribute("occluded").get_option("maybe")


def _problems(definition: Any) -> str:
    with pytest.raises(ValidationError) as info:
        Ontology.from_dict(definition)
    return str(info.value)


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            {"objects": [{"name": "car", "shape": "box"}, {"name": "car", "shape": "point"}]},
            "duplicate name 'car'",
        ),
        ({"objects": [{"name": "car", "shape": "circle"}]}, "unknown shape 'circle'"),
        (
            {"classifications": [{"name": "w", "type": "radio", "options": []}]},
            "radio question needs at least one option",
        ),
        (
            {"classifications": [{"name": "t", "type": "checklist"}]},
            "checklist question needs at least one option",
        ),
        (
            {
                "objects": [
                    {
                        "name": "car",
                        "shape": "point",
                        "attributes": [{"name": "a", "type": "slider"}],
                    }
                ]
            },
            "unknown type 'slider'",
        ),
        (
            {
                "objects": [
                    {
                        "name": "p",
                        "shape": "skeleton",
                        "keypoints": ["head"],
                        "edges": [["head", "tail"]],
                    }
                ]
            },
            "unknown keypoint(s) 'tail'",
        ),
        ({"objects": [{"name": "p", "shape": "skeleton"}]}, "non-empty list of keypoints"),
        (
            {"objects": [{"name": "car", "shape": "point", "colour": "red"}]},
            "unknown key(s) colour",
        ),
        ({"objects": [{"shape": "point"}]}, "needs a non-empty string name"),
        (
            {"classifications": [{"name": "w", "type": "radio", "options": ["a", "a"]}]},
            "duplicate name 'a'",
        ),
        (
            {"classifications": [{"name": "n", "type": "numeric", "options": ["a"]}]},
            "numeric question takes no options",
        ),
        (
            {"classifications": [{"name": "w", "type": "radio", "options": [True]}]},
            "is a boolean; quote it in YAML",
        ),
        (
            {
                "objects": [
                    {"name": "a", "shape": "point", "feature_hash": "same"},
                    {"name": "b", "shape": "point", "feature_hash": "same"},
                ]
            },
            "feature hash 'same' is also used by objects.a",
        ),
        (
            {
                "classifications": [
                    {
                        "name": "w",
                        "type": "radio",
                        "options": [
                            {
                                "name": "snow",
                                "questions": [{"name": "d", "type": "numeric", "dynamic": True}],
                            }
                        ],
                    }
                ]
            },
            "nested questions follow their parent, which is static",
        ),
        ({"objects": {"name": "car"}}, "objects must be a list"),
        ({"objects": [], "object": []}, "unknown key(s) object"),
        ([], "ontology must be a mapping"),
    ],
)
def test_malformed_definition_raises_validation_error(definition: Any, expected: str) -> None:
    assert expected in _problems(definition)


def test_every_problem_is_reported_on_its_own_line() -> None:
    message = _problems(
        {
            "objects": [
                {"name": "car", "shape": "circle"},
                {"name": "car", "shape": "point"},
                {"name": "p", "shape": "skeleton", "keypoints": ["a"], "edges": [["a", "b"]]},
            ],
            "classifications": [{"name": "w", "type": "radio", "options": []}],
        }
    )
    lines = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(lines) == 4
    assert message.startswith("ontology has 4 problem(s):")


def test_constructing_with_duplicate_names_raises() -> None:
    car = Ontology.from_dict({"objects": [{"name": "car", "shape": "point"}]}).get_object("car")
    with pytest.raises(ValidationError, match="duplicate object name 'car'"):
        Ontology([car, car])
