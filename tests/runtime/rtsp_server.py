"""A real RTSP server on 127.0.0.1 for tests: GStreamer's gst-rtsp-server, MJPEG over RTP.

Run with Debian's python3 (packages python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-base
and -good): `rtsp_server.py PORT FRAMES WIDTH HEIGHT FPS`. Serves rtsp://127.0.0.1:PORT/cam, a moving
test pattern; each client gets FRAMES frames, then the stream ends (RTCP BYE). Prints "ready" when
it listens.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

ELEMENTS = ("videotestsrc", "jpegenc", "rtpjpegpay")


def main() -> None:
    port, frames, width, height, fps = (int(v) for v in sys.argv[1:6])
    Gst.init(None)
    missing = [e for e in ELEMENTS if Gst.ElementFactory.find(e) is None]
    if missing:
        sys.exit(f"missing GStreamer elements: {', '.join(missing)}")
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    # rtpjpegpay carries 4:2:0 JPEG only, hence I420
    factory.set_launch(
        f"( videotestsrc pattern=ball num-buffers={frames} is-live=true "
        f"! video/x-raw,format=I420,width={width},height={height},framerate={fps}/1 "
        "! jpegenc ! rtpjpegpay name=pay0 pt=26 )"
    )
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
