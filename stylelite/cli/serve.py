"""`stylelite serve` -> stylelite.runtime.serve.server.serve (runtime only: no torch). FastAPI and uvicorn
come with the `serve` extra."""

from __future__ import annotations

import argparse
import os

from stylelite.cli.options import add_engine_options, engine_options
from stylelite.runtime.serve.config import DEFAULT_HOST, DEFAULT_PORT, ServeConfig

_DEFAULTS = ServeConfig(model="")  # the one place the defaults live


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n"
        "  stylelite serve student.onnx                       # open the printed http://127.0.0.1:8000/\n"
        "  stylelite serve student.onnx --clip clip.mp4 --port 0\n"
        "  stylelite serve multistyle.onnx --host 0.0.0.0 --certfile cert.pem --keyfile key.pem\n"
        "  STYLELITE_TOKEN=$(openssl rand -hex 16) stylelite serve student.onnx --host 0.0.0.0\n"
        "\n"
        "The page shows the browser's camera (or the clip) stylized live, with style, blend, mix and\n"
        "strength controls and an fps / latency / server ms / dropped-frames readout. Browsers allow the\n"
        "camera only on localhost or https://. Needs: pip install 'stylelite[serve]'."
    )
    p.add_argument("model", help="exported model (.onnx or .tflite) to start with; the page can upload another")
    p.add_argument("--clip", default=None, help="video offered as the page's 'clip' source (played looping)")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to listen on; anything but loopback needs a token")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (0: pick a free one and print it)")
    p.add_argument(
        "--token",
        default=None,
        help="access token every request must carry (unset: $STYLELITE_TOKEN, else none on loopback and "
        "a random one, printed in the URL, on any other address)",
    )
    p.add_argument("--max-clip-mb", type=float, default=_DEFAULTS.max_clip_mb, help="largest clip upload (0: none)")
    p.add_argument("--max-model-mb", type=float, default=_DEFAULTS.max_model_mb, help="largest model upload (0: none)")
    p.add_argument(
        "--max-side",
        type=int,
        default=_DEFAULTS.max_side,
        help="clip frames whose longer side exceeds this many pixels are scaled down to it",
    )
    p.add_argument("--jpeg-quality", type=int, default=_DEFAULTS.jpeg_quality, help="quality of the frames sent")
    p.add_argument("--certfile", default=None, help="TLS certificate (PEM): serve https")
    p.add_argument("--keyfile", default=None, help="TLS private key (PEM)")
    add_engine_options(p, checkpoints=False)


def execute(args: argparse.Namespace) -> int:
    from stylelite.runtime.serve.server import serve

    serve(
        args.model,
        clip=args.clip,
        host=args.host,
        port=args.port,
        token=args.token or os.environ.get("STYLELITE_TOKEN") or None,
        engine_options=engine_options(args),
        max_clip_mb=args.max_clip_mb,
        max_model_mb=args.max_model_mb,
        max_side=args.max_side,
        jpeg_quality=args.jpeg_quality,
        certfile=args.certfile,
        keyfile=args.keyfile,
    )
    return 0
