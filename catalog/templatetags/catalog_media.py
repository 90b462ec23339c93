"""``{% picture %}``: a product image as <picture> with WebP and JPEG
sources, srcset/sizes, width/height and lazy loading, built from the
thumbnail names stored on the row (no storage or database access)."""

from django import template
from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from catalog.media import renditions as all_renditions

register = template.Library()


@register.simple_tag
def picture(thumbnails: dict, *, alt: str, sizes: str, largest: int = 640, lazy: bool = True) -> str:
    """Render thumbnails up to ``largest`` pixels wide; ``img`` falls back to
    the widest of them as JPEG. Empty string when there is no image."""
    available = all_renditions(thumbnails)
    renditions = [size for size in available if size["width"] <= largest] or available[:1]
    if not renditions:
        return ""
    fallback = renditions[-1]

    def srcset(kind: str) -> str:
        return ", ".join(f"{default_storage.url(size[kind])} {size['width']}w" for size in renditions)

    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}" alt="{}" width="{}" height="{}"{}></picture>',
        srcset("webp"), sizes, default_storage.url(fallback["jpeg"]), srcset("jpeg"), sizes, alt,
        fallback["width"], fallback["height"],
        mark_safe(' loading="lazy" decoding="async"' if lazy else ' fetchpriority="high"'),
    )


@register.filter
def clock(seconds) -> str:
    """A duration as the players show it: 0:05, 4:20, 1:02:03."""
    total = round(float(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


@register.simple_tag
def poster_url(thumbnails: dict, largest: int = 640) -> str:
    """The JPEG a <video poster> shows: the widest thumbnail up to ``largest``."""
    available = [size for size in all_renditions(thumbnails) if size["width"] <= largest] or all_renditions(thumbnails)
    return default_storage.url(available[-1]["jpeg"]) if available else ""


@register.filter
def media_url(name: str) -> str:
    return default_storage.url(name)
