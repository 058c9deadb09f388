"""Classification instances: frame ranges, answers, nesting and overlaps in a row."""

from __future__ import annotations

from typing import Any

import pytest

from annotask.errors import LabelError
from annotask.labels import ClassificationInstance, LabelRow, Ontology


@pytest.fixture
def weather(ontology: Ontology) -> ClassificationInstance:
    return ClassificationInstance(ontology.get_classification("weather"))


def _state(instance: ClassificationInstance) -> Any:
    return instance.get_annotations(), dict(instance._answers)


def test_answer_and_nested_answer(ontology: Ontology, weather: ClassificationInstance) -> None:
    weather.set_for_frames(range(0, 5), confidence=0.8, manual_annotation=False)
    weather.set_answer("snow")
    weather.set_answer(12.5, attribute="depth")
    snow = ontology.get_classification("weather").get_option("snow")
    assert weather.get_answer() == snow
    assert weather.get_answer("depth") == 12.5
    assert [a.frame for a in weather.get_annotations()] == [0, 1, 2, 3, 4]
    assert weather.get_annotation(2).confidence == 0.8


def test_changing_the_answer_drops_nested_answers(weather: ClassificationInstance) -> None:
    weather.set_answer("snow")
    weather.set_answer(4, attribute="depth")
    weather.set_answer("rain", overwrite=True)
    assert weather.get_answer("depth") is None


def test_checklist_and_text_classifications(ontology: Ontology) -> None:
    tags = ClassificationInstance(ontology.get_classification("tags"))
    tags.set_answer({"night", "blurry"})
    assert [o.name for o in tags.get_answer()] == ["blurry", "night"]  # type: ignore[union-attr]
    caption = ClassificationInstance(ontology.get_classification("caption"))
    caption.set_answer("a busy street")
    assert caption.get_answer() == "a busy street"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.set_answer(["sunny", "rain"]), "radio question and takes one answer, got 2"),
        (lambda c: c.set_answer("hail"), "expects one of the options 'sunny', 'rain', 'snow'"),
        (
            lambda c: c.set_answer(3, attribute="depth"),
            "asked only when 'weather' has option 'snow'",
        ),
        (lambda c: c.set_answer("x", attribute="colour"), "no attribute 'colour'"),
        (lambda c: c.set_for_frames(-2), "cannot be negative"),
        (lambda c: c.set_for_frames(0, confidence=-0.1), "confidence must be"),
        (lambda c: c.get_annotation(9), "frame 9: not on this frame"),
    ],
)
def test_refused_call_names_the_classification_and_changes_nothing(
    weather: ClassificationInstance, call: Any, message: str
) -> None:
    weather.set_for_frames([0, 1])
    weather.set_answer("sunny")
    before = _state(weather)
    with pytest.raises(LabelError, match=message) as info:
        call(weather)
    assert f"weather (classification_hash {weather.classification_hash})" in str(info.value)
    assert _state(weather) == before


def test_remove_from_frames(weather: ClassificationInstance) -> None:
    weather.set_for_frames(range(4))
    weather.remove_from_frames([1, 2, 9])
    assert weather.get_annotation_frames() == {0, 3}


def test_delete_answer(weather: ClassificationInstance) -> None:
    weather.set_answer("snow")
    weather.set_answer(1, attribute="depth")
    weather.delete_answer()
    assert weather.get_answer() is None
    assert weather.get_answer("depth") is None


def test_overlap_with_same_classification_is_refused_in_a_row(
    ontology: Ontology, video_row: LabelRow
) -> None:
    first = ClassificationInstance(ontology.get_classification("weather"))
    first.set_for_frames(range(0, 5))
    video_row.add_classification_instance(first)
    second = ClassificationInstance(ontology.get_classification("weather"))
    second.set_for_frames(range(4, 8))
    with pytest.raises(LabelError, match=r"frame\(s\) \[4\] already carry 'weather'"):
        video_row.add_classification_instance(second)
    assert video_row.get_classification_instances() == [first]
    second.remove_from_frames(4)
    video_row.add_classification_instance(second)
    with pytest.raises(LabelError, match="already carry"):
        second.set_for_frames(3)
    assert second.get_annotation_frames() == {5, 6, 7}


def test_force_takes_shared_frames_off_the_others(ontology: Ontology, video_row: LabelRow) -> None:
    first = ClassificationInstance(ontology.get_classification("weather"))
    first.set_for_frames(range(0, 5))
    video_row.add_classification_instance(first)
    second = ClassificationInstance(ontology.get_classification("weather"))
    second.set_for_frames(range(3, 8))
    video_row.add_classification_instance(second, force=True)
    assert first.get_annotation_frames() == {0, 1, 2}
    whole = ClassificationInstance(ontology.get_classification("weather"))
    whole.set_for_frames(range(10))
    video_row.add_classification_instance(whole, force=True)
    assert video_row.get_classification_instances() == [whole]
    assert not first.is_assigned_to_label_row()


def test_different_classifications_may_share_frames(
    ontology: Ontology, video_row: LabelRow
) -> None:
    weather = ClassificationInstance(ontology.get_classification("weather"))
    tags = ClassificationInstance(ontology.get_classification("tags"))
    weather.set_for_frames(range(3))
    tags.set_for_frames(range(3))
    video_row.add_classification_instance(weather)
    video_row.add_classification_instance(tags)
    assert len(video_row.get_classification_instances(filter_frames=1)) == 2


def test_frame_past_the_row_is_refused(ontology: Ontology, video_row: LabelRow) -> None:
    weather = ClassificationInstance(ontology.get_classification("weather"))
    weather.set_for_frames(10)
    with pytest.raises(LabelError, match="frame 10: beyond the data item, which has 10 frame"):
        video_row.add_classification_instance(weather)
    assert video_row.get_classification_instances() == []
