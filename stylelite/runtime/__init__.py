"""stylelite runtime: the torch-free floor (engines, video I/O, flow, flicker, CLI)."""

import os

# FFmpeg (inside OpenCV) prints decoder complaints straight to stderr; stylelite reports
# unreadable inputs itself, as one line. Users can still raise the level via the env var.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
