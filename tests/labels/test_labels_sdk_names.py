"""The SDK's names and behaviours on labels: child lookups under attributes and options,
``values=`` on polygons, ``overwrite=``, write-through annotations, frame views, row status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from annotask.errors import LabelError, NotFoundError
from annotask.labels import (
    Attribute,
    BoundingBoxCoordinates,
    LabelRow,
    Ontology,
    Option,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
    RadioAttribute,
)
from annotask.labels.row_status import LabelStatus
from tests.labels.conftest import RowFactory

BOX = BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2)
OTHER_BOX = BoundingBoxCoordinates(0.3, 0.3, 0.2, 0.2)


# -- 1. child lookups beneath attributes and options ---------------------------------------


def test_an_attribute_finds_its_options_and_the_questions_beneath(ontology: Ontology) -> None:
    damage = ontology.get_object("car").get_attribute("damage")
    dented = damage.get_child_by_title("dented", type_=Option)
    assert dented.name == "dented"
    assert damage.get_child_by_hash(dented.feature_hash) is dented
    dents = damage.get_child_by_title("dents")
    assert isinstance(dents, Attribute) and dents.name == "dents"
    assert dented.get_child_by_title("dents") is dents
    assert damage.get_children_by_title("none") == [damage.get_option("none")]
    assert damage.get_children_by_title("none", type_=RadioAttribute) == []


def test_object_classes_and_classifications_list_children_by_title(ontology: Ontology) -> None:
    car = ontology.get_object("car")
    assert [a.name for a in car.get_children_by_title("occluded")] == ["occluded"]
    weather = ontology.get_classification("weather")
    assert weather.get_child_by_title("depth").name == "depth"


def test_a_missing_child_names_what_there_is(ontology: Ontology) -> None:
    damage = ontology.get_object("car").get_attribute("damage")
    with pytest.raises(NotFoundError, match="'dented'"):
        damage.get_child_by_title("scratched", type_=Option)


# -- 2. values= on polygons and polylines --------------------------------------------------


def test_polygons_and_polylines_take_values_as_the_sdk_names_them() -> None:
    points = [PointCoordinate(0.1, 0.1), PointCoordinate(0.5, 0.1), PointCoordinate(0.3, 0.4)]
    polygon = PolygonCoordinates(values=points)
    assert polygon == PolygonCoordinates(points)
    assert polygon.values == polygon.points == tuple(points)
    assert PolygonCoordinates.from_dict(polygon.to_dict()) == polygon
    assert polygon.to_dict() == {"points": [[0.1, 0.1], [0.5, 0.1], [0.3, 0.4]]}
    line = PolylineCoordinates(values=points[:2])
    assert line.values == tuple(points[:2]) and line == PolylineCoordinates(points[:2])


def test_points_and_values_together_or_neither_are_refused() -> None:
    points = [(0.1, 0.1), (0.5, 0.1), (0.3, 0.4)]
    with pytest.raises(LabelError, match="points= or values="):
        PolygonCoordinates(points, values=points)
    with pytest.raises(LabelError, match="points= or values="):
        PolylineCoordinates()


# -- 3. overwrite= -------------------------------------------------------------------------


def test_placing_an_object_on_a_frame_it_is_on_needs_overwrite(
    make_row: RowFactory, ontology: Ontology
) -> None:
    row = make_row(number_of_frames=3)
    car = ontology.get_object("car").create_instance()
    car.set_for_frames(BOX, [0, 1])
    with pytest.raises(LabelError, match=r"frame\(s\) \[1\]; pass overwrite=True"):
        car.set_for_frames(OTHER_BOX, [1, 2])
    assert car.get_annotation_frames() == {0, 1}  # nothing changed
    car.set_for_frames(OTHER_BOX, [1, 2], overwrite=True)
    assert car.get_annotation(1).coordinates == OTHER_BOX
    row.add_object_instance(car)


def test_a_static_answer_is_replaced_only_with_overwrite(ontology: Ontology) -> None:
    car = ontology.get_object("car").create_instance()
    car.set_answer("yes", "occluded")
    with pytest.raises(LabelError, match="'occluded' is already answered; pass overwrite=True"):
        car.set_answer("no", "occluded")
    car.set_answer("no", "occluded", overwrite=True)
    answer = car.get_answer("occluded")
    assert isinstance(answer, Option) and answer.name == "no"


def test_dynamic_answers_are_replaced_without_overwrite(ontology: Ontology) -> None:
    car = ontology.get_object("car").create_instance()
    car.set_for_frames(BOX, 0)
    car.set_answer("red", "colour")
    car.set_answer("blue", "colour")  # the SDK ignores overwrite for dynamic attributes
    assert car.get_answer("colour", frame=0) == "blue"


def test_classification_answers_and_frames_need_overwrite(
    make_row: RowFactory, ontology: Ontology
) -> None:
    row = make_row(number_of_frames=3)
    weather = ontology.get_classification("weather").create_instance()
    weather.set_answer("sunny")
    with pytest.raises(LabelError, match="'weather' is already answered; pass overwrite=True"):
        weather.set_answer("rain")
    weather.set_answer("rain", overwrite=True)
    weather.set_for_frames([0, 1])
    weather.set_for_frames(1)  # outside a row nothing is checked, as in the SDK
    row.add_classification_instance(weather)
    with pytest.raises(LabelError, match=r"already on frame\(s\) \[1\]; pass overwrite=True"):
        weather.set_for_frames([1, 2])
    weather.set_for_frames([1, 2], overwrite=True, confidence=0.5)
    assert weather.get_annotation(2).confidence == 0.5


# -- 4. remove_object ----------------------------------------------------------------------


def test_remove_object_is_the_sdk_name(make_row: RowFactory, ontology: Ontology) -> None:
    row = make_row()
    car = ontology.get_object("car").create_instance()
    car.set_for_frames(BOX)
    row.add_object_instance(car)
    row.remove_object(car)
    assert row.get_object_instances() == [] and not car.is_assigned_to_label_row()


# -- 5. frame views ------------------------------------------------------------------------


def test_frame_views_read_and_add_on_their_frame(make_row: RowFactory, ontology: Ontology) -> None:
    row = make_row(number_of_frames=3)
    views = row.get_frame_views()
    assert [v.frame for v in views] == [0, 1, 2]
    view = row.get_frame_view(1)
    assert (view.width, view.height, view.data_title) == (64, 48, "street.jpg")
    car = ontology.get_object("car").create_instance()
    view.add_object_instance(car, BOX, confidence=0.7)
    weather = ontology.get_classification("weather").create_instance()
    view.add_classification_instance(weather)
    assert view.get_object_instances() == [car]
    assert car.get_annotation(1).confidence == 0.7
    assert view.get_classification_instances("weather") == [weather]
    assert row.get_frame_view(0).get_object_instances() == []
    with pytest.raises(LabelError, match="pass overwrite=True"):
        view.add_object_instance(car, OTHER_BOX)
    view.add_object_instance(car, OTHER_BOX, overwrite=True)
    assert car.get_annotation(1).coordinates == OTHER_BOX
    with pytest.raises(LabelError, match="frame 3: beyond the data item"):
        row.get_frame_view(3)


# -- 6. row status, to_encord_dict, is_valid -----------------------------------------------


def test_a_row_outside_a_workflow_has_no_graph_node(make_row: RowFactory) -> None:
    row = make_row(workflow_stage="Annotate")
    assert row.workflow_graph_node is None  # no stage UUID known to a memory backend
    before = row.label_status
    row.save()
    assert (before, row.label_status) == (LabelStatus.NOT_LABELLED, LabelStatus.LABEL_IN_PROGRESS)


def test_to_encord_dict_is_the_document(make_row: RowFactory, ontology: Ontology) -> None:
    row = make_row()
    car = ontology.get_object("car").create_instance()
    car.set_for_frames(BOX)
    row.add_object_instance(car)
    assert row.to_encord_dict() == row.to_dict()


def test_is_valid_raises_for_an_object_on_no_frame(ontology: Ontology) -> None:
    car = ontology.get_object("car").create_instance()
    with pytest.raises(LabelError, match="on no frame; place it with set_for_frames"):
        car.is_valid()
    car.set_for_frames(BOX)
    car.is_valid()  # returns None when the instance is complete


# -- 7. annotations write through ----------------------------------------------------------


def test_setting_an_annotation_property_changes_the_instance(
    make_row: RowFactory, ontology: Ontology
) -> None:
    row: LabelRow = make_row()
    car = ontology.get_object("car").create_instance()
    car.set_for_frames(BOX)
    row.add_object_instance(car)
    row.save()
    annotation = car.get_annotation(0)
    annotation.confidence = 0.9
    annotation.manual_annotation = False
    annotation.created_by = "model-v2"
    when = datetime(2024, 5, 1, tzinfo=UTC)
    annotation.created_at = when
    annotation.coordinates = OTHER_BOX
    again = car.get_annotation(0)
    assert (again.confidence, again.manual_annotation, again.created_by) == (0.9, False, "model-v2")
    assert (again.created_at, again.coordinates) == (when, OTHER_BOX)
    assert again == annotation
    assert row.has_unsaved_changes
    (saved,) = row.to_dict()["objects"]
    frame = saved["frames"]["0"]
    assert (frame["confidence"], frame["manual_annotation"]) == (0.9, False)
    assert frame["coordinates"] == OTHER_BOX.to_dict()


def test_annotation_setters_check_their_values(ontology: Ontology) -> None:
    car = ontology.get_object("car").create_instance()
    car.set_for_frames(BOX)
    annotation = car.get_annotation(0)
    with pytest.raises(LabelError, match=r"confidence must be a number in 0\.\.1"):
        annotation.confidence = 1.5
    with pytest.raises(LabelError, match="takes BoundingBoxCoordinates"):
        annotation.coordinates = PointCoordinate(0.1, 0.1)
    car.remove_from_frames(0)
    with pytest.raises(LabelError, match="annotation is gone"):
        annotation.confidence = 0.5


def test_classification_annotations_write_through(ontology: Ontology) -> None:
    weather = ontology.get_classification("weather").create_instance()
    weather.set_for_frames(0)
    weather.get_annotation(0).confidence = 0.4
    assert weather.get_annotations()[0].confidence == 0.4
