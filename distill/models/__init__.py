"""Teacher and student architectures; each module registers its models when imported
(registry._ensure_registered imports the families; the recurrent student registers here)."""

from distill.models import mobilegen_temporal  # noqa: F401  (registers mobilegen_t_050)
