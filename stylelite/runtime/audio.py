"""Audio pass-through: the input's audio track copied, packet for packet, into the stylized video (PyAV).

The video is encoded first (runtime.video.VideoWriter, to a temporary file); `mux_audio` then interleaves that video
stream and the source's audio stream into the output without re-encoding either, so the sound is
bit-identical. `check_audio_fits` runs before any frame is processed, so a container that cannot
hold the source's audio codec is reported up front instead of after a long run.
"""

from __future__ import annotations

import heapq
import io
from pathlib import Path

from stylelite.runtime.errors import InputError

# container formats by output suffix (FFmpeg muxer names)
MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}


def check_audio_fits(src: str | Path, dst: str | Path) -> str | None:
    """The codec of `src`'s first audio track (None: it has none, or is not a file FFmpeg reads); raise
    InputError when `dst`'s container cannot carry that track unchanged. Opens `src` once."""
    import av

    src = Path(src)
    if not src.is_file():
        return None
    try:
        c = av.open(str(src))
    except av.error.FFmpegError:
        return None
    with c:
        if not c.streams.audio:
            return None
        stream = c.streams.audio[0]
        codec = stream.codec_context.name
        fmt = MUXERS.get(Path(dst).suffix.lower())
        if fmt is None:
            raise InputError(f"{Path(dst).name}: cannot carry audio; use an .mp4, .mov or .mkv output")
        try:
            with av.open(io.BytesIO(), "w", format=fmt) as probe:
                probe.add_stream_from_template(stream)
                packet = next(p for p in c.demux(stream) if p.size)
                packet.stream = probe.streams[0]
                probe.mux(packet)  # writes the header: this is where an unsupported codec fails
        except (av.error.FFmpegError, ValueError, StopIteration) as exc:
            raise InputError(
                f"the {codec} audio of {src.name} cannot go into a {Path(dst).suffix} file unchanged "
                f"({str(exc)[:80]}); write .mkv instead, or pass --no-audio"
            ) from None
    return codec


def mux_audio(video: str | Path, audio_src: str | Path, out: str | Path) -> None:
    """Write `out` = the video stream of `video` + the first audio stream of `audio_src`, both copied.

    Audio past the end of the video (e.g. a run stopped early) is cut at the video's end.
    """
    import av

    fmt = MUXERS.get(Path(out).suffix.lower(), None)
    with av.open(str(video)) as vin, av.open(str(audio_src)) as ain, av.open(str(out), "w", format=fmt) as dst:
        vsrc, asrc = vin.streams.video[0], ain.streams.audio[0]
        vdst, adst = dst.add_stream_from_template(vsrc), dst.add_stream_from_template(asrc)
        end = float(vsrc.duration * vsrc.time_base) if vsrc.duration else None
        if end is None and vin.duration:
            end = vin.duration / 1_000_000

        def packets(container, stream, target, cut):
            for p in container.demux(stream):
                if p.dts is None or not p.size:
                    continue
                t = float(p.dts * p.time_base)
                if cut is not None and t >= cut:
                    return
                yield t, id(target), p, target

        # interleave the two streams by time, as a muxer expects
        for _t, _k, packet, target in heapq.merge(
            packets(vin, vsrc, vdst, None), packets(ain, asrc, adst, end), key=lambda item: (item[0], item[1])
        ):
            packet.stream = target
            dst.mux(packet)
