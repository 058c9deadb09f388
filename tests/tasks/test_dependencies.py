"""The seed's dependencies on real stores and real media: frames, iterators, samplers, assets
(local and over HTTP), the client, twin label rows, the deprecated data lookup, and storage
item metadata committed with the task's outcome.

No ``from __future__ import annotations`` here: agents below are closures whose
``Annotated[..., Depends(local_function)]`` annotations must be evaluated where they stand.
"""

import http.server
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

import annotask
from annotask import AgentTask, Client, StorageItem, TaskStatus, WorkflowTask
from annotask.labels import BoundingBoxCoordinates, LabelRow, ObjectInstance
from annotask.media import Frame, write_test_image, write_test_image_sequence, write_test_video
from annotask.media.synthetic import read_frame_number
from annotask.tasks import Depends, Runner, TaskAgentReturnStruct
from annotask.tasks.dependencies import (
    DataLookup,
    Twin,
    dep_asset,
    dep_client,
    dep_data_lookup,
    dep_single_frame,
    dep_storage_item,
    dep_twin_label_row,
    dep_video_iterator,
    dep_video_sampler,
)
from tests.definitions import ONTOLOGY, WORKFLOW

FRAMES, WIDTH, HEIGHT = 30, 64, 48
Sampler = Callable[[float | Sequence[int]], Iterable[Frame]]


# media and stores ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 30-frame H.264 video (PyAV), a PNG, a text file and a PDF, written once."""
    folder = tmp_path_factory.mktemp("dependency-media")
    video = write_test_video(folder / "clip.mp4", frames=FRAMES, width=WIDTH, height=HEIGHT)
    image = write_test_image(folder / "photo.png", width=WIDTH, height=HEIGHT, index=7)
    text = folder / "notes.txt"
    text.write_text("not a picture\n", encoding="utf-8")
    pdf = folder / "paper.pdf"
    Image.new("RGB", (40, 30), (255, 255, 255)).save(pdf)
    return {"video": video, "image": image, "text": text, "pdf": pdf}


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Client]:
    """A client as 'alice' on a fresh SQLite file."""
    with Client(f"sqlite:///{tmp_path / 'deps.db'}", user="alice") as c:
        yield c


@pytest.fixture(scope="module")
def web(media: dict[str, Path]) -> Iterator[str]:
    """The media folder served over HTTP on 127.0.0.1 by a thread; its base URL."""
    folder = str(media["video"].parent)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=folder, **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _project(
    client: Client, items: Sequence[Path | str], title: str = "agents"
) -> annotask.Project:
    dataset = client.create_dataset(f"{title} data")
    dataset.add_items(list(items))
    return client.create_project(title, datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)


def _tasks(project: annotask.Project) -> dict[str, WorkflowTask]:
    return {t.data_title: t for t in project.list_tasks()}


def _stage_of(project: annotask.Project, task: WorkflowTask) -> str:
    return project.workflow.stage_by_uuid(str(task.stage_uuid)).name


def _assert_failed_in_place(project: annotask.Project, title: str, *needles: str) -> str:
    """The task of ``title`` is still in Pre-label, marked failed with an error naming each
    needle; the recorded error is returned."""
    task = _tasks(project)[title]
    assert _stage_of(project, task) == "Pre-label"
    assert task.status is TaskStatus.FAILED
    assert task.attempts >= 1
    assert task.last_error is not None
    for needle in needles:
        assert needle in task.last_error, task.last_error
    return task.last_error


def _decode_all(path: Path) -> list[NDArray[np.uint8]]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


# dep_single_frame ---------------------------------------------------------------------------
def test_single_frame_is_rgb_uint8_for_an_image_and_the_first_frame_of_a_video(
    local: Client, media: dict[str, Path]
) -> None:
    project = _project(local, [media["image"], media["video"]])
    runner = Runner(project.project_hash, client=local)
    seen: dict[str, NDArray[np.uint8]] = {}

    @runner.stage("Pre-label")
    def agent(
        item: StorageItem, frame: Annotated[NDArray[np.uint8], Depends(dep_single_frame)]
    ) -> str:
        seen[item.name] = frame
        return "empty"

    report = runner()
    assert report.moved == 2
    for frame in seen.values():
        assert frame.dtype == np.uint8
        assert frame.shape == (HEIGHT, WIDTH, 3)
    expected_image = np.asarray(Image.open(media["image"]).convert("RGB"))
    assert np.array_equal(seen["photo.png"], expected_image)
    first = _decode_all(media["video"])[0]
    assert np.array_equal(seen["clip.mp4"], first)
    assert read_frame_number(seen["clip.mp4"]) == 0
    assert read_frame_number(seen["photo.png"]) == 7


# dep_video_iterator -------------------------------------------------------------------------
def test_video_iterator_yields_every_frame_in_order_with_its_shape(
    local: Client, media: dict[str, Path]
) -> None:
    project = _project(local, [media["video"]])
    runner = Runner(project.project_hash, client=local)
    frames: list[tuple[int, tuple[int, ...], np.dtype[Any], int]] = []

    @runner.stage("Pre-label")
    def agent(video_frames: Annotated[Iterator[Frame], Depends(dep_video_iterator)]) -> str:
        for frame in video_frames:
            content = frame.content
            frames.append((frame.frame, content.shape, content.dtype, read_frame_number(content)))
        return "has objects"

    assert runner().moved == 1
    assert [f[0] for f in frames] == list(range(FRAMES))
    assert {f[1] for f in frames} == {(HEIGHT, WIDTH, 3)}
    assert {f[2] for f in frames} == {np.dtype(np.uint8)}
    assert [f[3] for f in frames] == list(range(FRAMES))


@pytest.mark.parametrize("dependency", [dep_video_iterator, dep_video_sampler])
def test_video_dependencies_on_an_image_fail_that_task_with_not_implemented_and_run_the_rest(
    local: Client, media: dict[str, Path], dependency: Callable[..., Any]
) -> None:
    project = _project(local, [media["image"], media["video"]])
    runner = Runner(project.project_hash, client=local)
    called: list[int] = []

    @runner.stage("Pre-label")
    def agent(video: Annotated[Any, Depends(dependency)]) -> str:
        frames = video if dependency is dep_video_iterator else video(1.0)
        called.append(sum(1 for _ in frames))
        return "empty"

    report = runner(num_retries=1)
    assert report.failed == 1 and report.moved == 1
    assert called == [FRAMES]  # the agent never ran for the image
    _assert_failed_in_place(
        project,
        "photo.png",
        f"NotImplementedError: `{dependency.__name__}` only supported for video label rows",
        "'photo.png' is image",
        "dep_single_frame",
    )
    assert _tasks(project)["photo.png"].attempts == 2  # the first try and one retry
    assert _stage_of(project, _tasks(project)["clip.mp4"]) == "Annotate"


# dep_video_sampler --------------------------------------------------------------------------
def test_video_sampler_by_rate_and_by_indices(local: Client, media: dict[str, Path]) -> None:
    project = _project(local, [media["video"]])
    runner = Runner(project.project_hash, client=local)
    got: dict[str, list[tuple[int, int]]] = {}

    @runner.stage("Pre-label")
    def agent(video_sampler: Annotated[Sampler, Depends(dep_video_sampler)]) -> str | None:
        got["fifth"] = [(f.frame, read_frame_number(f.content)) for f in video_sampler(1 / 5)]
        got["listed"] = [(f.frame, read_frame_number(f.content)) for f in video_sampler([1, 2, 3])]
        shapes = {f.content.shape for f in video_sampler([0, 29])}
        assert shapes == {(HEIGHT, WIDTH, 3)}
        return "empty"

    assert runner().moved == 1
    assert got["fifth"] == [(i, i) for i in range(0, FRAMES, 5)]
    assert got["listed"] == [(1, 1), (2, 2), (3, 3)]


def test_video_sampler_index_out_of_range_fails_the_task_naming_the_range(
    local: Client, media: dict[str, Path]
) -> None:
    project = _project(local, [media["video"]])
    runner = Runner(project.project_hash, client=local)

    @runner.stage("Pre-label")
    def agent(video_sampler: Annotated[Sampler, Depends(dep_video_sampler)]) -> str:
        list(video_sampler([0, FRAMES]))
        return "empty"

    report = runner(num_retries=0)
    assert report.failed == 1 and report.moved == 0
    _assert_failed_in_place(project, "clip.mp4", "ValueError", f"0 to {FRAMES - 1}", str(FRAMES))


# dep_asset ----------------------------------------------------------------------------------
def test_asset_of_a_local_file_is_a_private_copy_the_agent_may_change(
    local: Client, media: dict[str, Path]
) -> None:
    project = _project(local, [media["video"], media["image"]])
    runner = Runner(project.project_hash, client=local)
    paths: dict[str, Path] = {}
    originals = {"clip.mp4": media["video"].read_bytes(), "photo.png": media["image"].read_bytes()}

    @runner.stage("Pre-label")
    def agent(item: StorageItem, asset: Annotated[Path, Depends(dep_asset)]) -> str:
        assert asset.read_bytes() == originals[item.name]
        assert asset.name == f"{item.data_hash}{Path(item.name).suffix}"
        asset.write_bytes(b"scribbled over")  # an agent editing its asset in place
        paths[item.name] = asset
        return "empty"

    assert runner().moved == 2
    assert paths["clip.mp4"] != media["video"] and paths["photo.png"] != media["image"]
    assert not any(p.exists() for p in paths.values()), "copies are removed after the task"
    assert media["video"].read_bytes() == originals["clip.mp4"]
    assert media["image"].read_bytes() == originals["photo.png"]


def test_asset_of_an_image_sequence_is_a_copy_of_the_whole_folder(
    local: Client, tmp_path: Path
) -> None:
    folder = tmp_path / "frames"
    write_test_image_sequence(folder, frames=3, width=32, height=24)
    project = _project(local, [folder])
    runner = Runner(project.project_hash, client=local)
    seen: dict[str, bytes] = {}

    @runner.stage("Pre-label")
    def agent(asset: Annotated[Path, Depends(dep_asset)]) -> str:
        assert asset.is_dir() and asset != folder
        seen.update({p.name: p.read_bytes() for p in sorted(asset.iterdir())})
        for image in asset.iterdir():
            image.unlink()
        return "empty"

    assert runner().moved == 1
    assert seen == {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    assert len(seen) == 3


@pytest.mark.parametrize("agent_raises", [False, True], ids=["returns", "raises"])
def test_asset_over_http_is_downloaded_as_data_hash_dot_suffix_and_removed_after_the_task(
    local: Client, media: dict[str, Path], web: str, agent_raises: bool
) -> None:
    project = _project(local, [f"{web}/clip.mp4", f"{web}/photo.png"])
    runner = Runner(project.project_hash, client=local)
    seen: list[tuple[str, Path, bytes]] = []

    @runner.stage("Pre-label")
    def agent(item: StorageItem, asset: Annotated[Path, Depends(dep_asset)]) -> str:
        seen.append((item.data_hash, asset, asset.read_bytes()))
        assert asset.name == f"{item.data_hash}{Path(item.name).suffix}"
        if agent_raises:
            raise RuntimeError("model crashed")
        return "has objects"

    report = runner(num_retries=1)
    attempts = 2 if agent_raises else 1
    assert len(seen) == 2 * attempts
    originals = {"clip.mp4": media["video"].read_bytes(), "photo.png": media["image"].read_bytes()}
    by_hash = {str(t.data_hash): t.data_title for t in project.list_tasks()}
    for data_hash, path, content in seen:
        assert content == originals[by_hash[data_hash]]
        assert path.name.startswith(data_hash)
        assert not path.exists(), f"{path} was left behind"
    assert media["video"].exists()  # the served originals are untouched
    if agent_raises:
        assert report.failed == 2
        for title in by_hash.values():
            _assert_failed_in_place(project, title, "RuntimeError: model crashed")
    else:
        assert report.moved == 2


@pytest.mark.parametrize("kind", ["text", "pdf"])
def test_asset_of_text_and_pdf_is_a_copy_with_its_suffix(
    local: Client, media: dict[str, Path], kind: str
) -> None:
    project = _project(local, [media[kind]])
    runner = Runner(project.project_hash, client=local)
    called: list[Path] = []

    @runner.stage("Pre-label")
    def agent(asset: Annotated[Path, Depends(dep_asset)]) -> str:
        assert asset.read_bytes() == media[kind].read_bytes()
        called.append(asset)
        return "empty"

    assert runner(num_retries=0).moved == 1
    (path,) = called
    assert path.suffix == media[kind].suffix and path != media[kind]


# generator dependencies ---------------------------------------------------------------------
def test_generator_cleanup_runs_after_the_outcome_is_settled_and_when_the_agent_raises(
    local: Client, media: dict[str, Path]
) -> None:
    project = _project(local, [media["image"], media["text"]])
    runner = Runner(project.project_hash, client=local)
    log: list[str] = []

    def resource(label_row: LabelRow) -> Generator[str, None, None]:
        log.append(f"open {label_row.data_title}")
        try:
            yield label_row.data_title
        except Exception as exc:
            log.append(f"cleanup {label_row.data_title} after {type(exc).__name__}")
            raise
        # The outcome was settled before this line: the struct's label row was saved.
        log.append(f"cleanup {label_row.data_title} unsaved={label_row.has_unsaved_changes}")

    @runner.stage("Pre-label")
    def agent(
        label_row: LabelRow, title: Annotated[str, Depends(resource)]
    ) -> TaskAgentReturnStruct:
        log.append(f"agent {title}")
        if title == "notes.txt":
            raise KeyError("no boxes in text")
        box = ObjectInstance(label_row.ontology.get_object("car"))
        box.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2), frames=0)
        label_row.add_object_instance(box)
        return TaskAgentReturnStruct(pathway="has objects", label_row=label_row)

    report = runner(num_retries=1)
    assert report.moved == 1 and report.failed == 1
    per_item = {
        title: [entry for entry in log if entry.endswith(title) or f" {title} " in entry]
        for title in ("photo.png", "notes.txt")
    }
    assert per_item["photo.png"] == [
        "open photo.png",
        "agent photo.png",
        "cleanup photo.png unsaved=False",
    ]
    assert (
        per_item["notes.txt"]
        == [
            "open notes.txt",
            "agent notes.txt",
            "cleanup notes.txt after KeyError",
        ]
        * 2
    )
    saved = project.get_label_row(_tasks(project)["photo.png"].data_hash)
    saved.initialise_labels()
    assert len(saved.get_object_instances()) == 1


def test_generator_cleanup_runs_when_the_returned_pathway_is_unknown(
    local: Client, media: dict[str, Path]
) -> None:
    project = _project(local, [media["image"]])
    runner = Runner(project.project_hash, client=local)
    log: list[str] = []

    def resource() -> Generator[int, None, None]:
        log.append("open")
        try:
            yield 1
        finally:
            log.append("close")

    @runner.stage("Pre-label")
    def agent(value: Annotated[int, Depends(resource)]) -> str:
        return "no such pathway"

    assert runner(num_retries=2).failed == 1
    assert log == ["open", "close"]  # a wrong pathway is not retried
    _assert_failed_in_place(project, "photo.png", "no such pathway", "has objects", "empty")


# dep_client ---------------------------------------------------------------------------------
def test_dep_client_is_the_runners_own_client_not_a_default_one(
    tmp_path: Path, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "default.db"
    monkeypatch.setenv("ANNOTASK_DATABASE_URL", f"sqlite:///{other}")
    monkeypatch.setenv("ANNOTASK_USER", "someone-else")
    with Client(f"sqlite:///{tmp_path / 'mine.db'}", user="carol") as mine:
        project = _project(mine, [media["image"], media["video"]])
        runner = Runner(project.project_hash, client=mine)
        seen: list[tuple[Client, Client, str]] = []

        @runner.stage("Pre-label")
        def agent(
            client: Annotated[Client, Depends(dep_client)], by_type: Client, task: AgentTask
        ) -> str:
            seen.append((client, by_type, client.get_project(task.project_hash).title))
            return "empty"

        assert runner().moved == 2
    assert len(seen) == 2
    for via_dep, via_type, title in seen:
        assert via_dep is mine and via_type is mine
        assert via_dep.user == "carol" and title == "agents"
    assert not other.exists(), "a default client was opened"


# dep_twin_label_row -------------------------------------------------------------------------
def _twins(client: Client, items: Sequence[Path]) -> tuple[annotask.Project, annotask.Project]:
    dataset = client.create_dataset("shared")
    dataset.add_items(list(items))
    source = client.create_project(
        "source", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    twin = client.create_project("twin", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW)
    return source, twin


def _add_car(row: LabelRow, x: float) -> None:
    box = ObjectInstance(row.ontology.get_object("car"))
    box.set_for_frames(BoundingBoxCoordinates(x, 0.1, 0.2, 0.2), frames=0)
    row.add_object_instance(box)


def test_twin_label_row_is_read_when_the_task_runs_not_when_decorated(
    client: Client, media: dict[str, Path]
) -> None:
    source, twin = _twins(client, [media["image"], media["video"]])
    runner = Runner(source.project_hash, client=client)
    seen: dict[str, tuple[int, str, bool, WorkflowTask | None]] = {}

    @runner.stage("Pre-label")
    def agent(
        label_row: LabelRow,
        twin_row: Annotated[Twin, Depends(dep_twin_label_row(twin.project_hash))],
    ) -> str:
        other = twin_row.label_row
        seen[label_row.data_title] = (
            len(other.get_object_instances()),
            other.label_hash,
            other.data_hash == label_row.data_hash,
            twin_row.task,
        )
        return "empty"

    # Labels change in the twin after the agent was decorated and before the run.
    for row in twin.list_label_rows():
        row.initialise_labels()
        for i in range(2 if row.data_title == "clip.mp4" else 1):
            _add_car(row, 0.1 + 0.2 * i)
        row.save()

    assert runner().moved == 2
    twin_hashes = {r.data_title: r.label_hash for r in twin.list_label_rows()}
    assert seen == {
        "photo.png": (1, twin_hashes["photo.png"], True, None),
        "clip.mp4": (2, twin_hashes["clip.mp4"], True, None),
    }


def test_labels_copied_from_the_twin_commit_with_the_move(
    client: Client, media: dict[str, Path]
) -> None:
    source, twin = _twins(client, [media["image"], media["video"]])
    for row in twin.list_label_rows():
        if row.data_title == "photo.png":
            row.initialise_labels()
            _add_car(row, 0.4)
            row.save()
    runner = Runner(source.project_hash, client=client)

    @runner.stage("Pre-label")
    def copy_from_twin(
        label_row: LabelRow,
        twin_row: Annotated[Twin, Depends(dep_twin_label_row(twin.project_hash))],
    ) -> TaskAgentReturnStruct:
        instances = twin_row.label_row.get_object_instances()
        for instance in instances:
            label_row.add_object_instance(instance.copy())
        pathway = "has objects" if instances else "empty"
        return TaskAgentReturnStruct(pathway=pathway, label_row=label_row)

    assert runner().moved == 2
    rows = {r.data_title: r for r in source.list_label_rows()}
    for row in rows.values():
        row.initialise_labels()
    (copied,) = rows["photo.png"].get_object_instances()
    assert copied.get_annotation(0).coordinates == BoundingBoxCoordinates(0.4, 0.1, 0.2, 0.2)
    assert rows["clip.mp4"].get_object_instances() == []
    stages = {title: _stage_of(source, t) for title, t in _tasks(source).items()}
    assert stages == {"photo.png": "Review", "clip.mp4": "Annotate"}


def test_twin_with_include_task_gives_the_twin_projects_task_and_init_labels_false_does_not_load(
    local: Client, media: dict[str, Path]
) -> None:
    source, twin = _twins(local, [media["image"]])
    runner = Runner(source.project_hash, client=local)
    got: list[tuple[Twin, Twin]] = []

    @runner.stage("Pre-label")
    def agent(
        with_task: Annotated[
            Twin, Depends(dep_twin_label_row(twin.project_hash, include_task=True))
        ],
        bare: Annotated[Twin, Depends(dep_twin_label_row(twin.project_hash, init_labels=False))],
    ) -> str:
        got.append((with_task, bare))
        return "has objects"

    assert runner().moved == 1
    ((with_task, bare),) = got
    twin_task = twin.list_tasks()[0]
    assert with_task.task is not None
    assert with_task.task.uuid == twin_task.uuid
    assert str(with_task.task.project_hash) == twin.project_hash
    assert _stage_of(twin, with_task.task) == "Pre-label"  # the twin's task did not move
    assert with_task.label_row.is_labelling_initialised
    assert bare.task is None
    assert not bare.label_row.is_labelling_initialised


def test_twin_is_none_when_the_twin_project_lacks_the_item(
    local: Client, media: dict[str, Path]
) -> None:
    both = local.create_dataset("both")
    both.add_items([media["image"]])
    only_source = local.create_dataset("only source")
    only_source.add_items([media["video"]])
    source = local.create_project(
        "source", datasets=[both, only_source], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    twin = local.create_project("twin", datasets=[both], ontology=ONTOLOGY, workflow=WORKFLOW)
    runner = Runner(source.project_hash, client=local)
    seen: dict[str, bool] = {}

    @runner.stage("Pre-label")
    def agent(
        label_row: LabelRow,
        twin_row: Annotated[Twin | None, Depends(dep_twin_label_row(twin.project_hash))],
    ) -> str:
        seen[label_row.data_title] = twin_row is None
        return "empty" if twin_row is None else "has objects"

    assert runner().moved == 2
    assert seen == {"photo.png": False, "clip.mp4": True}


def test_twin_in_a_project_the_user_cannot_read_fails_the_task_with_authorization_error(
    client: Client, media: dict[str, Path]
) -> None:
    dataset = client.create_dataset("shared")
    dataset.add_items([media["image"]])
    dataset.add_member("bob", "annotator")
    source = client.create_project(
        "source", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    bob = client.as_user("bob")
    private = bob.create_project(
        "bob's", datasets=[dataset.dataset_hash], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    runner = Runner(source.project_hash, client=client)
    called: list[str] = []

    @runner.stage("Pre-label")
    def agent(twin: Annotated[Twin, Depends(dep_twin_label_row(private.project_hash))]) -> str:
        called.append("agent")
        return "empty"

    report = runner(num_retries=0)
    assert report.failed == 1 and called == []
    _assert_failed_in_place(source, "photo.png", "AuthorizationError")


# dep_data_lookup ----------------------------------------------------------------------------
def test_data_lookup_still_works_and_warns_that_dep_storage_item_replaces_it(
    local: Client, media: dict[str, Path]
) -> None:
    project = _project(local, [media["image"], media["video"]])
    runner = Runner(project.project_hash, client=local)
    found: dict[str, tuple[str, list[str]]] = {}

    with pytest.warns(DeprecationWarning, match="dep_storage_item") as caught:

        @runner.stage("Pre-label")
        def agent(task: AgentTask, lookup: Annotated[DataLookup, Depends(dep_data_lookup)]) -> str:
            item = lookup.get_storage_item(task.data_hash)
            many = lookup.get_storage_items([task.data_hash])
            found[task.data_title] = (item.name, [i.name for i in many])
            return "empty"

    assert caught[0].filename == __file__  # points at the decorated agent, not annotask
    report = runner()
    assert report.moved == 2
    assert found == {
        "photo.png": ("photo.png", ["photo.png"]),
        "clip.mp4": ("clip.mp4", ["clip.mp4"]),
    }
    assert all("dep_storage_item" in str(w.message) for w in caught)


# storage item metadata ----------------------------------------------------------------------
@pytest.mark.parametrize("agent_raises", [False, True], ids=["committed", "rolled-back"])
def test_storage_item_metadata_update_commits_with_the_move_and_not_when_the_agent_raises(
    client: Client, media: dict[str, Path], agent_raises: bool
) -> None:
    dataset = client.create_dataset("items")
    dataset.add_items({media["image"]: {"source": "camera"}, media["video"]: {}})
    project = client.create_project(
        "meta", datasets=[dataset], ontology=ONTOLOGY, workflow=WORKFLOW
    )
    runner = Runner(project.project_hash, client=client)
    during: list[dict[str, Any]] = []

    @runner.stage("Pre-label")
    def agent(
        task: AgentTask, storage_item: Annotated[StorageItem, Depends(dep_storage_item)]
    ) -> str:
        client_metadata = storage_item.client_metadata
        storage_item.update(client_metadata={"new": "entry", **(client_metadata or {})})
        # Nothing reaches the store before the outcome commits.
        during.append(client.get_storage_item(storage_item.data_hash).client_metadata)
        if agent_raises:
            raise RuntimeError("after updating the metadata")
        return "has objects"

    report = runner(num_retries=0)
    items = {i.name: i.client_metadata for i in dataset.list_items()}
    assert sorted(during, key=len) == [{}, {"source": "camera"}]
    stages = {title: _stage_of(project, t) for title, t in _tasks(project).items()}
    if agent_raises:
        assert report.failed == 2
        assert items == {"photo.png": {"source": "camera"}, "clip.mp4": {}}
        assert stages == {"photo.png": "Pre-label", "clip.mp4": "Pre-label"}
    else:
        assert report.moved == 2
        assert items == {
            "photo.png": {"new": "entry", "source": "camera"},
            "clip.mp4": {"new": "entry"},
        }
        assert stages == {"photo.png": "Review", "clip.mp4": "Review"}
        events = project.events()
        assert len([e for e in events if e.action == "proceed"]) == 2
