"""Frames of video files (MP4, AVI, MOV, MPEG, M4V, GIF ... through PyAV/FFmpeg) for the converters of video datasets.

``probe`` counts a video's frames by demuxing (no decoding) and reads its frame rate, so a converter can pick the
frames to convert up front; ``read_frame`` decodes one of them in a worker. A worker decodes each video once for all
the frames picked from it (the last video decoded is kept).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...errors import UsregError
from ..decode import MAX_FRAME_PIXELS, MAX_VOLUME_BYTES, BadData

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mpeg", ".mpg", ".m4v", ".gif", ".wmv", ".mkv")
MAX_PACKETS = 1_000_000


def _av():
    try:
        import av
    except ImportError:
        raise UsregError("converting videos needs PyAV", hint="pip install 'usreg[data]'") from None
    return av


def probe(path: str) -> tuple[int, float] | None:
    """(frame count, frames per second) of the first video stream, or None if the file is not a readable video.

    The count is that of the packets that decode to a shown frame: packets before an edit list's start are left out.
    """
    av = _av()
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 0.0
            count = 0
            for n, packet in enumerate(container.demux(stream)):
                if n >= MAX_PACKETS:
                    break
                # packets an edit list trims (flagged discard: decoded only to rebuild the next frames) yield
                # no frame, so they are not counted (a real .mov of pocus-covid19 had 18 of 210)
                if packet.size and not getattr(packet, "is_discard", False):
                    count += 1
            return count, fps
    except (av.error.FFmpegError, OSError, ValueError):
        return None


def every_nth(fps: float, rate: float) -> int:
    """The frame step that samples a video of ``fps`` frames per second at about ``rate`` frames per second."""
    return max(1, int(fps / rate)) if fps > 0 and rate > 0 else 1


@lru_cache(maxsize=1)
def _frames(path: str, wanted: tuple[int, ...]) -> dict[int, np.ndarray]:
    """The picked frames of a video, decoded once. A frame size over ``MAX_FRAME_PIXELS``, or picked frames that would
    take more than ``MAX_VOLUME_BYTES`` together (a GIF declaring 16,000 x 16,000 pixels of one colour is a few kB a
    frame), is refused before the frames are kept."""
    av = _av()
    out: dict[int, np.ndarray] = {}
    last = max(wanted) if wanted else -1
    want = set(wanted)
    kept = 0
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise BadData("unreadable", "the file holds no video stream")
            stream = container.streams.video[0]
            check_frame_size(stream.codec_context.width, stream.codec_context.height, 1)
            for i, frame in enumerate(container.decode(stream)):
                if i in want:
                    kept += frame.width * frame.height * 3
                    check_frame_size(frame.width, frame.height, kept)
                    out[i] = frame.to_ndarray(format="rgb24")
                if i >= last:
                    break
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise BadData("unreadable", f"cannot decode video: {str(exc)[:200]}") from None
    return out


def check_frame_size(width: int, height: int, kept: int) -> None:
    """Refuse a frame over ``MAX_FRAME_PIXELS``, or frames kept so far (``kept`` bytes) over ``MAX_VOLUME_BYTES``."""
    if width * height > MAX_FRAME_PIXELS:
        raise BadData(
            "unreadable",
            f"the video's frames are {width}x{height} pixels, over the limit of {MAX_FRAME_PIXELS:,}: a damaged or "
            "hostile file",
        )
    if kept > MAX_VOLUME_BYTES:
        raise BadData(
            "unreadable",
            f"the frames picked from this {width}x{height} video would take over {MAX_VOLUME_BYTES:,} bytes; "
            "pick fewer frames (max_frames)",
        )


def read_frame(path: str, index: int, wanted: tuple[int, ...]) -> np.ndarray:
    """Frame ``index`` (0-based, decoding order) of the video at ``path``; ``wanted``: all frames picked from it."""
    frames = _frames(str(path), tuple(wanted))
    if index not in frames:
        raise BadData("unreadable", f"the video has no frame {index} (it decoded {len(frames)} of the picked frames)")
    return frames[index]
