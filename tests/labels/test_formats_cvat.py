"""CVAT XML export and import: checked against the documented schema (lxml), tracks with
keyframes and outside flags, interpolation, bad input refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from annotask.datatypes import DataType
from annotask.errors import LabelError
from annotask.labels import (
    BoundingBoxCoordinates,
    LabelRow,
    ObjectInstance,
    Ontology,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
)
from annotask.labels.formats import ExportItem, ImportMode, get_format

cvat = get_format("cvat")
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("cvat_schema.xsd"))))


def _valid(path: Path) -> etree._Element:
    document = etree.parse(str(path))
    SCHEMA.assertValid(document)
    return document.getroot()


def _label_images(ontology: Ontology, rows: dict[str, LabelRow]) -> None:
    for i, row in enumerate(rows.values()):
        car = ObjectInstance(ontology.get_object("car"))
        car.set_for_frames(
            BoundingBoxCoordinates(0.125 * i, 0.25, 0.25, 0.5), manual_annotation=i != 1
        )
        road = ObjectInstance(ontology.get_object("road"))
        road.set_for_frames(PolygonCoordinates([(0.1, 0.1), (0.9, 0.2), (0.5, 0.9)]))
        lane = ObjectInstance(ontology.get_object("lane"))
        lane.set_for_frames(PolylineCoordinates([(0.0, 0.5), (1.0, 0.5)]))
        sign = ObjectInstance(ontology.get_object("sign"))
        sign.set_for_frames(PointCoordinate(0.25, 0.75))
        for instance in (car, road, lane, sign):
            row.add_object_instance(instance)


def _state(row: LabelRow) -> list[tuple[str, int, bool, object]]:
    return sorted(
        (
            (i.object_name, a.frame, a.manual_annotation, a.coordinates)
            for i in row.get_object_instances()
            for a in i.get_annotations()
        ),
        key=repr,
    )


def test_cvat_for_images_is_valid_and_imports_back_with_sources(
    ontology: Ontology, fresh_rows: Callable[[], dict[str, LabelRow]], tmp_path: Path
) -> None:
    rows = fresh_rows()
    _label_images(ontology, rows)
    target = tmp_path / "annotations.xml"
    report = cvat.export([ExportItem(r, n) for n, r in rows.items()], ontology, target)
    assert (report.images, report.objects) == (3, 12)
    root = _valid(target)
    assert [i.get("name") for i in root.iter("image")] == ["img0.png", "img1.png", "img2.png"]
    assert root.find("image[@name='img1.png']/box").get("source") == "auto"
    assert root.find("image[@name='img0.png']/box").attrib["xbr"] == "16"
    copies = fresh_rows()
    imported = cvat.import_(target, ontology, copies)
    assert imported.objects_added == 12
    for name, row in rows.items():
        assert _state(copies[name]) == _state(row)


@pytest.fixture
def videos(make_row: Callable[..., LabelRow]) -> Callable[[], dict[str, LabelRow]]:
    def make() -> dict[str, LabelRow]:
        return {
            name: make_row(
                data_title=name,
                data_type=DataType.VIDEO,
                number_of_frames=10,
                fps=25.0,
                width=64,
                height=48,
            )
            for name in ("a.mp4", "b.mp4")
        }

    return make


def test_cvat_for_video_writes_tracks_that_leave_and_come_back(
    ontology: Ontology, videos: Callable[[], dict[str, LabelRow]], tmp_path: Path
) -> None:
    rows = videos()
    car = ObjectInstance(ontology.get_object("car"))
    car.set_for_frames(BoundingBoxCoordinates(0.125, 0.25, 0.25, 0.5), [0, 1, 2, 3, 6, 7])
    rows["b.mp4"].add_object_instance(car)
    target = tmp_path / "video.xml"
    cvat.export([ExportItem(r, n) for n, r in rows.items()], ontology, target)
    root = _valid(target)
    (track,) = root.iter("track")
    assert track.get("task_id") == "1"
    assert [t.findtext("name") for t in root.iterfind("meta/project/tasks/task")] == [
        "a.mp4",
        "b.mp4",
    ]
    outside = [int(b.get("frame")) for b in track if b.get("outside") == "1"]
    assert outside == [4, 8]
    copies = videos()
    cvat.import_(target, ontology, copies)
    (back,) = copies["b.mp4"].get_object_instances()
    assert back.get_annotation_frames() == {0, 1, 2, 3, 6, 7}
    assert copies["a.mp4"].get_object_instances() == []


CVAT_VIDEO = """<annotations><version>1.1</version><meta><task><id>1</id><name>a.mp4</name>
<size>10</size><mode>interpolation</mode><start_frame>0</start_frame><stop_frame>9</stop_frame>
<original_size><width>64</width><height>48</height></original_size></task></meta>
<track id="0" label="car" source="manual">
<box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="16" ybr="16"/>
<box frame="4" outside="0" occluded="0" keyframe="1" xtl="32" ytl="16" xbr="48" ybr="32"/>
<box frame="5" outside="1" occluded="0" keyframe="1" xtl="32" ytl="16" xbr="48" ybr="32"/>
</track></annotations>"""


def test_frames_between_keyframes_are_interpolated_and_outside_ends_the_object(
    ontology: Ontology, videos: Callable[[], dict[str, LabelRow]], tmp_path: Path
) -> None:
    path = tmp_path / "cvat.xml"
    path.write_text(CVAT_VIDEO)
    rows = videos()
    cvat.import_(path, ontology, rows)
    (car,) = rows["a.mp4"].get_object_instances()
    assert car.get_annotation_frames() == {0, 1, 2, 3, 4}
    middle = car.get_annotation(2).coordinates
    assert isinstance(middle, BoundingBoxCoordinates)
    assert middle.top_left_x == pytest.approx(0.25)
    assert middle.top_left_y == pytest.approx(1 / 6)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('xbr="16"', 'xbr="nan"', "not a finite number"),
        ('xbr="16"', 'xbr="99"', r"xbr 99.0 lies outside the image \(0..64\)"),
        ('label="car"', 'label="bus"', "classes 'bus' are not object classes"),
        ("<name>a.mp4</name>", "<name>gone.mp4</name>", "'gone.mp4' match no data item"),
        ("</track></annotations>", "</track>", "not well-formed XML"),
        ("<width>64</width>", "<width>65</width>", "is 65x48, its data item 64x48"),
    ],
)
def test_bad_cvat_is_refused_and_nothing_changes(
    ontology: Ontology,
    videos: Callable[[], dict[str, LabelRow]],
    tmp_path: Path,
    old: str,
    new: str,
    message: str,
) -> None:
    path = tmp_path / "cvat.xml"
    assert old in CVAT_VIDEO
    path.write_text(CVAT_VIDEO.replace(old, new, 1))
    rows = videos()
    with pytest.raises(LabelError, match=message):
        cvat.import_(path, ontology, rows, mode=ImportMode.REPLACE)
    assert all(not r.get_object_instances() and not r.has_unsaved_changes for r in rows.values())


def test_a_polygon_of_two_points_is_refused(ontology: Ontology, tmp_path: Path) -> None:
    path = tmp_path / "cvat.xml"
    path.write_text(
        '<annotations><version>1.1</version><meta/><image id="0" name="img0.png" width="64" '
        'height="48"><polygon label="road" occluded="0" points="1,1;5,5"/></image></annotations>'
    )
    with pytest.raises(LabelError, match="a polygon needs 3 points or more, got 2"):
        cvat.import_(path, ontology, {}, skip_unmatched=True)
