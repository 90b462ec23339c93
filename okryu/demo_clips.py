"""Short video and voice clips made on the spot with PyAV: drawn frames (a
ball crossing a plate of colour, the second counted in the corner) and a
speech-like sound (a voiced buzz whose pitch and loudness move at the pace
of syllables). The demo catalogue and the tests use them, so no recording
is kept in the repository."""

import io
import math
import struct
from fractions import Fraction

import av
from PIL import Image, ImageDraw

SAMPLE_RATE = 22050


def video_clip(*, seconds: float = 2, size: tuple[int, int] = (640, 360), fps: int = 12, format: str = "mp4",
               codec: str = "libx264", sound: bool = True, colour: tuple[int, int, int] = (40, 102, 170)) -> bytes:
    """A clip of ``seconds`` in ``format`` (mp4, mov, webm, ...) with ``codec``
    pictures and, with ``sound``, a tone (AAC in MP4 and MOV, Opus in WebM)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=format) as output:
        picture = output.add_stream(codec, rate=fps)
        picture.width, picture.height, picture.pix_fmt = size[0], size[1], "yuv420p"
        voice = None
        if sound:
            voice = output.add_stream("libopus" if format == "webm" else "aac", rate=48000, layout="mono")
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame.from_image(_drawing(index, fps, size, colour))
            frame.pts, frame.time_base = index, Fraction(1, fps)
            output.mux(picture.encode(frame))
        output.mux(picture.encode(None))
        if voice:
            _write_sound(output, voice, seconds)
    return buffer.getvalue()


def voice_clip(*, seconds: float = 2, format: str = "wav") -> bytes:
    """Speech-like sound of ``seconds`` as WAV (16-bit PCM), or another
    container with its usual codec (``ogg``: Opus, ``mp4``: AAC)."""
    buffer = io.BytesIO()
    codec = {"wav": "pcm_s16le", "ogg": "libopus", "mp4": "aac", "ipod": "aac"}[format]
    with av.open(buffer, "w", format=format) as output:
        stream = output.add_stream(codec, rate=48000 if codec == "libopus" else SAMPLE_RATE, layout="mono")
        _write_sound(output, stream, seconds)
    return buffer.getvalue()


def _drawing(index: int, fps: int, size: tuple[int, int], colour) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, (246, 240, 228))
    draw = ImageDraw.Draw(image)
    radius = max(4, height // 8)
    x = radius + (width - 2 * radius) * ((index / fps) % 2) / 2
    y = height / 2 + math.sin(index / fps * math.pi) * height / 4
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    draw.rectangle((0, height - height // 10, width * (index + 1) // (fps * 2 or 1) % width or width, height),
                   fill=colour)
    draw.text((radius // 2, radius // 2), f"{index // fps + 1}", fill=(30, 30, 30))
    return image


def _write_sound(output, stream, seconds: float) -> None:
    rate = stream.codec_context.sample_rate
    samples = _speech_like(int(seconds * rate), rate)
    # Encoders with a fixed frame size (AAC: 1024, Opus: 960) get exactly that.
    resampler = av.AudioResampler(format=stream.codec_context.format, layout="mono", rate=rate,
                                  frame_size=stream.codec_context.frame_size or None)
    step = 1024
    for start in range(0, len(samples), step):
        chunk = samples[start:start + step]
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk))
        frame.planes[0].update(struct.pack(f"<{len(chunk)}h", *chunk))
        frame.sample_rate = rate
        frame.pts, frame.time_base = start, Fraction(1, rate)
        for resampled in resampler.resample(frame):
            output.mux(stream.encode(resampled))
    for resampled in resampler.resample(None):
        output.mux(stream.encode(resampled))
    output.mux(stream.encode(None))


def _speech_like(count: int, rate: int) -> list[int]:
    """A buzz with harmonics, its pitch gliding around 140 Hz and its
    loudness rising and falling four times a second, with short pauses."""
    samples, phase = [], 0.0
    for n in range(count):
        t = n / rate
        pitch = 140 + 30 * math.sin(2 * math.pi * 0.7 * t)
        phase += 2 * math.pi * pitch / rate
        syllable = max(0.0, math.sin(2 * math.pi * 4 * t)) * (0.0 if int(t * 1.5) % 4 == 3 else 1.0)
        value = sum(math.sin(k * phase) / k for k in (1, 2, 3, 5))
        samples.append(int(9000 * syllable * value))
    return samples
