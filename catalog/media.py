"""Checks for uploaded product media and the image renditions pages serve.

An image is accepted only if Pillow decodes it as JPEG, PNG or WebP within
limits far below Pillow's own (89 million pixels), so a decompression bomb is
refused before its pixels are read. Accepted images are re-encoded: the
stored original loses its metadata and any trailing bytes, and pages only
ever serve thumbnails written once, at upload, in a few widths as WebP with
a JPEG fallback. A small JSON field on the row says where they are and how
big (see write_image), so rendering a page needs no storage or database
look-up, and listing rows stay narrow.
"""

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_IMAGE_PIXELS = 24_000_000  # 6000 × 4000; Pillow's default is 89 million
MAX_ORIGINAL_SIDE = 1600
THUMBNAIL_WIDTHS = (160, 320, 640)
JPEG_QUALITY = 82
WEBP_QUALITY = 78

def check_image(file) -> Image.Image:
    """Decode ``file`` fully and return the image, or raise ValidationError
    saying why it is refused (code: too_large, not_an_image, bad_format,
    too_many_pixels)."""
    if file.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("The image is larger than %(limit)s MB."), code="too_large",
            params={"limit": MAX_IMAGE_BYTES // (1024 * 1024)},
        )
    file.seek(0)
    try:
        # Only the named decoders are tried, so no other format's parser
        # (with its own history of bugs) ever sees the upload.
        image = Image.open(file, formats=IMAGE_FORMATS)
    except UnidentifiedImageError:
        raise ValidationError(
            _("This is not a JPEG, PNG or WebP image."), code="bad_format"
        ) from None
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(_("This file is not a readable image."), code="not_an_image") from None
    # Checked before load(): the header gives the size, the pixels come later.
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels()
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(_("This file is not a readable image."), code="not_an_image") from None
    return image


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The image has more than %(limit)s million pixels."), code="too_many_pixels",
        params={"limit": MAX_IMAGE_PIXELS // 1_000_000},
    )


def write_image(*, image: Image.Image, folder: str) -> tuple[str, dict]:
    """Write a re-encoded original and its thumbnails under ``folder``.

    Returns the original's storage name and the thumbnails description
    ``{"stem", "width", "height", "widths"}`` (the original's size, the
    widths written) that renditions() expands. Thumbnails never upscale: a
    width larger than the image is skipped (the smallest is always written).
    """
    image = _flatten(ImageOps.exif_transpose(image))
    # A fresh name each time: a changed image never hides behind a cached old one.
    stem = f"{folder}/{uuid.uuid4().hex}"
    original = image.copy()
    original.thumbnail((MAX_ORIGINAL_SIDE, MAX_ORIGINAL_SIDE), Image.Resampling.LANCZOS)
    original_name = _save(original, f"{stem}.jpg", "JPEG")
    widths = [w for w in THUMBNAIL_WIDTHS if w <= image.width] or [THUMBNAIL_WIDTHS[0]]
    thumbnails = {"stem": stem, "width": image.width, "height": image.height, "widths": widths}
    for size in renditions(thumbnails):
        resized = image.resize((size["width"], size["height"]), Image.Resampling.LANCZOS, reducing_gap=3.0)
        _save(resized, size["webp"], "WEBP")
        _save(resized, size["jpeg"], "JPEG")
    return original_name, thumbnails


def renditions(thumbnails: dict) -> list[dict]:
    """Each thumbnail as ``{"width", "height", "webp", "jpeg"}`` (storage
    names), narrowest first; empty when there is no image."""
    if not thumbnails:
        return []
    stem, width, height = thumbnails["stem"], thumbnails["width"], thumbnails["height"]
    return [
        {"width": w, "height": max(1, round(height * w / width)), "webp": f"{stem}-{w}.webp", "jpeg": f"{stem}-{w}.jpg"}
        for w in thumbnails["widths"]
    ]


def delete_image(*, name: str, thumbnails: dict) -> None:
    """Remove an original and its thumbnails from storage (missing files are fine)."""
    names = [name] if name else []
    for size in renditions(thumbnails):
        names += [size["webp"], size["jpeg"]]
    for stored in names:
        default_storage.delete(stored)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha, and one look for both formats."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _save(image: Image.Image, name: str, format: str) -> str:
    buffer = io.BytesIO()
    if format == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    return default_storage.save(name, ContentFile(buffer.getvalue()))
