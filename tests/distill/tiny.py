"""Tiny adversarial distillation settings the distill tests share: a randomly initialised cyclegan_r6 teacher,
the smallest student, 32 px crops, a narrow discriminator."""

TINY_ADVERSARIAL = dict(
    teacher="cyclegan_r6",
    student="shufflegen_t_038",
    random_teacher=True,
    batch=2,
    crop=32,
    temporal_batch=1,
    w_adversarial=0.05,
    disc_channels=8,
)
