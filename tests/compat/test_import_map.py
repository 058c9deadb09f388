"""Every name of the README's "Coming from the seed's API" table exists where it says: an
agent's imports map one to one."""

from __future__ import annotations

import importlib

import pytest

# the seed's import -> annotask's (module, name)
IMPORT_MAP = {
    "encord_agents.tasks.Runner": ("annotask.tasks", "Runner"),
    "encord_agents.tasks.SequentialRunner": ("annotask.tasks", "SequentialRunner"),
    "encord_agents.tasks.QueueRunner": ("annotask.tasks", "QueueRunner"),
    "encord_agents.tasks.Depends": ("annotask.tasks", "Depends"),
    "encord_agents.tasks.models.TaskAgentReturnStruct": (
        "annotask.tasks.models",
        "TaskAgentReturnStruct",
    ),
    "encord_agents.tasks.models.TaskCompletionResult": (
        "annotask.tasks.models",
        "TaskCompletionResult",
    ),
    "encord_agents.core.data_model.LabelRowMetadataIncludeArgs": (
        "annotask.tasks.models",
        "LabelRowMetadataIncludeArgs",
    ),
    "encord_agents.core.data_model.LabelRowInitialiseLabelsArgs": (
        "annotask.tasks.models",
        "LabelRowInitialiseLabelsArgs",
    ),
    "encord_agents.core.data_model.Frame": ("annotask.media", "Frame"),
    "encord_agents.core.utils.batch_iterator": ("annotask.tasks", "batch_iterator"),
    "encord_agents.exceptions.PrintableError": ("annotask", "PrintableError"),
    "encord_agents.tasks.dependencies.Twin": ("annotask.tasks.dependencies", "Twin"),
    "encord_agents.tasks.dependencies.DataLookup": ("annotask.tasks.dependencies", "DataLookup"),
    **{
        f"encord_agents.tasks.dependencies.{name}": ("annotask.tasks.dependencies", name)
        for name in (
            "dep_asset",
            "dep_client",
            "dep_data_lookup",
            "dep_single_frame",
            "dep_storage_item",
            "dep_twin_label_row",
            "dep_video_iterator",
            "dep_video_sampler",
        )
    },
    "encord.objects.ontology_labels_impl.LabelRowV2": ("annotask", "LabelRow"),
    "encord.objects.Object": ("annotask.labels", "Object"),
    "encord.objects.Classification": ("annotask.labels", "Classification"),
    "encord.objects.ObjectInstance": ("annotask.labels", "ObjectInstance"),
    "encord.objects.ClassificationInstance": ("annotask.labels", "ClassificationInstance"),
    "encord.objects.coordinates.BoundingBoxCoordinates": (
        "annotask.labels",
        "BoundingBoxCoordinates",
    ),
    "encord.objects.coordinates.PolygonCoordinates": ("annotask.labels", "PolygonCoordinates"),
    "encord.objects.coordinates.PointCoordinate": ("annotask.labels", "PointCoordinate"),
    "encord.objects.attributes.RadioAttribute": ("annotask.labels", "RadioAttribute"),
    "encord.objects.attributes.ChecklistAttribute": ("annotask.labels", "ChecklistAttribute"),
    "encord.objects.attributes.TextAttribute": ("annotask.labels", "TextAttribute"),
    "encord.objects.attributes.NumericAttribute": ("annotask.labels", "NumericAttribute"),
    "encord.objects.options.Option": ("annotask.labels", "Option"),
    "encord.objects.options.NestableOption": ("annotask.labels", "NestableOption"),
    "encord.objects.options.FlatOption": ("annotask.labels", "FlatOption"),
    "encord.constants.enums.DataType": ("annotask", "DataType"),
    "encord.orm.storage.StorageItemType": ("annotask", "StorageItemType"),
    "encord.user_client.EncordUserClient": ("annotask", "Client"),
    "encord.project.Project": ("annotask", "Project"),
    "encord.storage.StorageItem": ("annotask", "StorageItem"),
    "encord.workflow.stages.agent.AgentTask": ("annotask", "AgentTask"),
    "encord.workflow.stages.agent.AgentStage": ("annotask", "AgentStage"),
    "encord.workflow.stages.final.FinalStage": ("annotask", "FinalStage"),
    "encord.workflow.common.WorkflowTask": ("annotask", "WorkflowTask"),
    "encord.exceptions.AuthorizationError": ("annotask", "AuthorizationError"),
}


@pytest.mark.parametrize("seed_name", sorted(IMPORT_MAP))
def test_the_seeds_name_has_an_annotask_import(seed_name: str) -> None:
    module, name = IMPORT_MAP[seed_name]
    assert hasattr(importlib.import_module(module), name), f"{seed_name} -> {module}.{name}"
    assert name in importlib.import_module(module).__all__ or module.endswith(".dependencies")


@pytest.mark.parametrize(
    ("owner", "attribute"),
    [
        ("annotask.tasks.Runner", "project"),
        ("annotask.tasks.Runner", "agents"),
        ("annotask.LabelRow", "backing_item_uuid"),
        ("annotask.LabelRow", "ontology_structure"),
        ("annotask.LabelRow", "branch_name"),
        ("annotask.Project", "ontology_structure"),
        ("annotask.Project", "create_bundle"),
        ("annotask.Project", "list_label_rows_v2"),
        ("annotask.labels.Ontology", "get_child_by_hash"),
        ("annotask.labels.Ontology", "get_child_by_title"),
        ("annotask.labels.ObjectClass", "create_instance"),
        ("annotask.labels.Classification", "create_instance"),
        ("annotask.labels.Classification", "attributes"),
        ("annotask.AgentTask", "last_annotated_by"),
        ("annotask.AgentTask", "proceed"),
    ],
)
def test_the_seeds_attributes_exist(owner: str, attribute: str) -> None:
    module, _, name = owner.rpartition(".")
    assert hasattr(getattr(importlib.import_module(module), name), attribute)
