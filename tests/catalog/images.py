"""Image and recording bytes for upload tests."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_upload(name="photo.png", *, size=(800, 600), format="PNG", mode="RGBA") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 80, 40, 255) if mode == "RGBA" else 1).save(buffer, format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{format.lower()}")


def bomb_upload(width=30_000, height=30_000) -> SimpleUploadedFile:
    """A tiny PNG whose header claims an enormous size."""
    data = bytearray(image_upload(size=(8, 8), mode="L").read())
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return SimpleUploadedFile("bomb.png", bytes(data), content_type="image/png")
