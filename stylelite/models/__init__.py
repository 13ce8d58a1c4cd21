"""The torch model floor: the registry, every teacher and student family, checkpoints, the shipped
weights, the torch engine and the artifact identity. It imports only the runtime and torch.

Importing this package imports each family module, whose `@register_teacher`/`@register_student`
decorators fill the registries (as timm does); no hand-kept list names them.
"""

from stylelite.models import (  # noqa: F401  (each registers its models)
    animegan2,
    cyclegan_resnet,
    cyclegan_unet,
    fast_neural_style,
    mobilegen,
    mobilegen_styled,
    mobilegen_temporal,
    multistyle,
    normgen,
    normgen_styled,
    normgrade,
    shufflegen,
    unit,
)

# isort: split
from stylelite.models import packaged, pretrained  # noqa: F401  (last: tag weights of the families above)
from stylelite.models.registry import (
    PRETRAINED,
    STUDENTS,
    TEACHERS,
    ModelCard,
    create_student,
    create_teacher,
    register_student,
    register_teacher,
)

__all__ = [
    "PRETRAINED",
    "STUDENTS",
    "TEACHERS",
    "ModelCard",
    "create_student",
    "create_teacher",
    "register_student",
    "register_teacher",
]
