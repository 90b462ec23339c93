"""Voice and video: checking an upload by reading it, and the renditions
that pages serve, made with PyAV (FFmpeg inside its wheels).

An upload is accepted only if FFmpeg opens it as one of a few containers,
finds the streams its kind needs, decodes their first frames and can read
its packets to the end (a truncated file stops early), within limits of
size and duration. The job (catalog.tasks.transcode_media) then writes what
phones play everywhere, Safari included: H.264/AAC MP4 at about 360p and
720p with the index at the front (so playback starts before the whole file
is in), a poster picture, and for voice AAC at a speech bitrate. Every name
is fresh (a UUID), so the files are cached for a year.
"""

import dataclasses
import os
import re
import tempfile
import uuid
from fractions import Fraction
from pathlib import Path

import av
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

from catalog.media import delete_image, write_image

MAX_VIDEO_BYTES = 100 * 1024 * 1024
MAX_VOICE_BYTES = 64 * 1024 * 1024  # ten minutes of CD-quality mono WAV is 53 MB
MAX_VIDEO_SECONDS = 5 * 60
MAX_VOICE_SECONDS = 10 * 60
# FFmpeg's demuxer names: MP4, MOV and M4A share one, as do WebM and Matroska.
MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"
VIDEO_CONTAINERS = {MP4_FAMILY, "matroska,webm"}
VOICE_CONTAINERS = {MP4_FAMILY, "matroska,webm", "wav", "ogg", "mp3"}
# A file whose packets end this much before its stated duration is cut short.
TRUNCATION_TOLERANCE = 0.5  # seconds

# The renditions: (height, video kbit/s); the larger one only when the
# source is taller than the small one (no upscaling).
VIDEO_RENDITIONS = ((360, 500), (720, 1500))
VIDEO_AUDIO_KBITS = 64
VOICE_KBITS = 40
MAX_FRAME_RATE = 30
POSTER_AT = 1.0  # seconds in, or the first frame of a shorter video
FOLDER = "products/recordings"


@dataclasses.dataclass(frozen=True)
class Probe:
    duration: float
    width: int = 0
    height: int = 0


def check_video(file) -> Probe:
    """Read ``file`` as a video (ValidationError saying why it is refused)."""
    return _check(file, video=True)


def check_voice(file) -> Probe:
    """Read ``file`` as a voice recording (ValidationError if refused)."""
    return _check(file, video=False)


def _check(file, *, video: bool) -> Probe:
    limit = MAX_VIDEO_BYTES if video else MAX_VOICE_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s MB."), code="too_large", params={"limit": limit // (1024 * 1024)}
        )
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    try:
        with av.open(_source(file), metadata_errors="ignore") as container:
            probe = _probe(container, video=video)
    except av.FFmpegError:
        if head[4:8] == b"ftyp":  # an MP4 or MOV whose index FFmpeg cannot find or read
            raise ValidationError(_("The file is damaged or cut short: upload the whole recording."),
                                  code="truncated") from None
        raise _unreadable(video) from None
    finally:
        file.seek(0)
    seconds = MAX_VIDEO_SECONDS if video else MAX_VOICE_SECONDS
    if probe.duration > seconds:
        raise ValidationError(
            _("The recording is longer than %(minutes)s minutes."), code="too_long",
            params={"minutes": seconds // 60},
        )
    return probe


def _source(file):
    """A path for a large upload (streamed to disk), the file object otherwise."""
    if hasattr(file, "temporary_file_path"):
        return file.temporary_file_path()
    return file


def _unreadable(video: bool) -> ValidationError:
    if video:
        return ValidationError(_("Upload an MP4, MOV or WebM video."), code="bad_format")
    return ValidationError(_("Upload an MP3, Ogg, Opus, WAV, M4A or WebM recording."), code="bad_format")


def _probe(container, *, video: bool) -> Probe:
    if container.format.name not in (VIDEO_CONTAINERS if video else VOICE_CONTAINERS):
        raise _unreadable(video)
    if video and not container.streams.video:
        raise ValidationError(_("This file has no picture: upload it as a voice recording."), code="no_video")
    if not container.streams.audio and not video:
        raise ValidationError(_("This file has no sound."), code="no_audio")
    streams = [container.streams.video[0]] if video else []
    streams += container.streams.audio[:1]
    undecoded = set(streams)
    end = 0.0
    for packet in container.demux(streams):
        if packet.pts is not None and packet.time_base:
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        if packet.stream in undecoded and packet.size:
            if packet.decode():
                undecoded.discard(packet.stream)
    if undecoded or end <= 0:
        raise ValidationError(_("This recording cannot be decoded."), code="not_decodable")
    stated = container.duration / av.time_base if container.duration else end
    if end < stated - TRUNCATION_TOLERANCE:
        raise ValidationError(_("The file is damaged or cut short: upload the whole recording."),
                              code="truncated")
    picture = container.streams.video[0] if video else None
    return Probe(
        duration=round(max(stated, end), 2),
        width=picture.codec_context.width if picture else 0,
        height=picture.codec_context.height if picture else 0,
    )


MAX_CAPTIONS_BYTES = 256 * 1024
CUE_TIMING = re.compile(
    r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})[ \t]+-->[ \t]+(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})(?:[ \t].*)?$"
)


def read_webvtt(upload) -> str:
    """The text of an uploaded .vtt file (ValidationError if it is not UTF-8 text)."""
    if upload.size > MAX_CAPTIONS_BYTES:
        raise ValidationError(_("The captions file is larger than %(limit)s KB."), code="too_large",
                              params={"limit": MAX_CAPTIONS_BYTES // 1024})
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("Captions must be a WebVTT file in UTF-8."), code="bad_encoding") from None


def check_webvtt(text: str) -> str:
    """``text`` as WebVTT with Unix line ends, or ValidationError naming the
    first wrong line: the header, then cues whose timing line reads
    ``00:01.000 --> 00:04.000`` with the start before the end."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    if not re.match(r"^WEBVTT([ \t].*)?$", lines[0]):
        raise ValidationError(_("Captions must start with the line WEBVTT."), code="no_header")
    cues = 0
    for number, line in enumerate(lines, start=1):
        if "-->" not in line:
            continue
        timing = CUE_TIMING.match(line.strip())
        if not timing or _seconds(timing.groups()[:4]) >= _seconds(timing.groups()[4:]):
            raise ValidationError(
                _("Line %(line)s is not a cue timing such as 00:01.000 --> 00:04.000."), code="bad_timing",
                params={"line": number},
            )
        cues += 1
    if not cues:
        raise ValidationError(_("The captions have no cue."), code="no_cues")
    return "\n".join(lines).strip() + "\n"


def _seconds(parts) -> float:
    hours, minutes, seconds, millis = (int(part or 0) for part in parts)
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


class TranscodeError(Exception):
    """FFmpeg could not turn the original into renditions; the message says why."""


def transcode(*, name: str, video: bool) -> dict:
    """Write the renditions of the stored original ``name`` and return their
    description (see renditions_of); raise TranscodeError, leaving nothing
    behind, when FFmpeg fails."""
    written: list[str] = []
    poster: dict = {}
    with tempfile.TemporaryDirectory(prefix="okryu-transcode-") as work:
        try:
            with default_storage.open(name) as original, av.open(original, metadata_errors="ignore") as source:
                duration = round(source.duration / av.time_base, 2) if source.duration else None
                if video:
                    outputs, poster = _transcode_video(source, Path(work))
                else:
                    outputs = [_transcode_voice(source, Path(work))]
            stem = f"{FOLDER}/{uuid.uuid4().hex}"
            files = []
            for output in outputs:
                path = output.pop("path")
                with open(path, "rb") as content:
                    output["name"] = default_storage.save(f"{stem}-{path.stem}{path.suffix}", File(content))
                written.append(output["name"])
                output["bytes"] = os.path.getsize(path)
                files.append(output)
        except (av.FFmpegError, OSError, ValueError) as error:
            for stored in written:
                default_storage.delete(stored)
            delete_image(name="", thumbnails=poster)
            # FFmpeg's own words, without the file's path on this server.
            raise TranscodeError(getattr(error, "strerror", None) or str(error)) from error
    return {"files": files, "poster": poster, "duration": duration}


def delete_renditions(renditions: dict) -> None:
    """Remove the files of a transcode (missing files are fine)."""
    for output in renditions.get("files", ()):
        default_storage.delete(output["name"])
    delete_image(name="", thumbnails=renditions.get("poster") or {})


def _even(number: float) -> int:
    return max(2, int(round(number / 2)) * 2)


def _transcode_video(source, work: Path) -> tuple[list[dict], dict]:
    picture = source.streams.video[0]
    sound = source.streams.audio[0] if source.streams.audio else None
    width, height = picture.codec_context.width, picture.codec_context.height
    rate = picture.average_rate or picture.guessed_rate or Fraction(25)
    fps = min(MAX_FRAME_RATE, max(1, round(rate)))
    # "360p" names the short side, so that a portrait video is as sharp.
    short = min(width, height)
    sizes = [(side, kbits) for side, kbits in VIDEO_RENDITIONS if side < short] or [(short, VIDEO_RENDITIONS[0][1])]
    if len(sizes) < len(VIDEO_RENDITIONS) and short > sizes[-1][0]:
        sizes.append((short, VIDEO_RENDITIONS[len(sizes)][1]))  # the larger one at the source's own size
    encoders = []
    for side, kbits in sizes:
        target_width, target_height = _even(width * side / short), _even(height * side / short)
        path = work / f"{_even(side)}.mp4"
        output = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        stream = output.add_stream("libx264", rate=fps, options={
            "preset": "veryfast", "profile": "main", "maxrate": f"{kbits}k", "bufsize": f"{kbits * 2}k",
            "crf": "26",
        })
        stream.width, stream.height, stream.pix_fmt = target_width, target_height, "yuv420p"
        stream.bit_rate = kbits * 1000
        audio = None
        if sound:
            audio = output.add_stream("aac", rate=44100, layout="stereo" if sound.layout.nb_channels > 1 else "mono")
            audio.bit_rate = VIDEO_AUDIO_KBITS * 1000
        encoders.append({"path": path, "output": output, "video": stream, "audio": audio, "last_pts": -1})
    resampler = av.AudioResampler(format="fltp", layout=encoders[0]["audio"].layout, rate=44100,
                                  frame_size=1024) if sound else None
    poster_frame = None
    try:
        for frame in source.decode(*([picture, sound] if sound else [picture])):
            if isinstance(frame, av.VideoFrame):
                if frame.time is None:
                    continue
                if poster_frame is None or (frame.time <= POSTER_AT and poster_frame.time < POSTER_AT):
                    poster_frame = frame
                for encoder in encoders:
                    # The frame's own time, not a counter: a variable frame rate
                    # stays in sync, and frames above MAX_FRAME_RATE are dropped.
                    pts = round(frame.time * fps)
                    if pts <= encoder["last_pts"]:
                        continue
                    encoder["last_pts"] = pts
                    scaled = frame.reformat(width=encoder["video"].width, height=encoder["video"].height,
                                            format="yuv420p")
                    scaled.pts, scaled.time_base = pts, Fraction(1, fps)
                    encoder["output"].mux(encoder["video"].encode(scaled))
            else:
                frame.pts = None
                for resampled in resampler.resample(frame):
                    for encoder in encoders:
                        encoder["output"].mux(encoder["audio"].encode(resampled))
        if resampler:
            for resampled in resampler.resample(None):
                for encoder in encoders:
                    encoder["output"].mux(encoder["audio"].encode(resampled))
        for encoder in encoders:
            encoder["output"].mux(encoder["video"].encode(None))
            if encoder["audio"]:
                encoder["output"].mux(encoder["audio"].encode(None))
    finally:
        for encoder in encoders:
            encoder["output"].close()
    if poster_frame is None:
        raise ValueError("no picture could be decoded")
    _name, poster = write_image(image=poster_frame.to_image(), folder=FOLDER)
    default_storage.delete(_name)  # the poster's thumbnails are all a page shows
    outputs = [
        {"path": encoder["path"], "width": encoder["video"].width, "height": encoder["video"].height,
         "lines": _even(side), "codec": "h264", "kbits": kbits}
        for encoder, (side, kbits) in zip(encoders, sizes, strict=True)
    ]
    return outputs, poster


def _transcode_voice(source, work: Path) -> dict:
    sound = source.streams.audio[0]
    path = work / "voice.m4a"
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=44100, frame_size=1024)
    with av.open(str(path), "w", format="ipod", options={"movflags": "+faststart"}) as output:
        stream = output.add_stream("aac", rate=44100, layout="mono")
        stream.bit_rate = VOICE_KBITS * 1000
        for frame in source.decode(sound):
            frame.pts = None
            for resampled in resampler.resample(frame):
                output.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            output.mux(stream.encode(resampled))
        output.mux(stream.encode(None))
    return {"path": path, "codec": "aac", "kbits": VOICE_KBITS}
