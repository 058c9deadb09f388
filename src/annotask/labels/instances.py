"""Object and classification instances: what a label row holds."""

from __future__ import annotations

from annotask.labels._instance_common import Annotation, ClassificationAnnotation
from annotask.labels.classification_instance import ClassificationInstance
from annotask.labels.object_instance import ObjectInstance

__all__ = ["Annotation", "ClassificationAnnotation", "ClassificationInstance", "ObjectInstance"]
