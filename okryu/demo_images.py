"""Pictures for the demo catalogue, drawn with Pillow: a plate of colour
with a simple motif per kind of goods, so that pages look like a shop."""

import io
import zlib

from PIL import Image, ImageDraw

PALETTES = {
    "noodles": ((245, 238, 224), (158, 111, 64)),
    "food": ((235, 244, 226), (72, 128, 60)),
    "cosmetics": ((250, 232, 240), (186, 82, 128)),
    "medicine": ((228, 240, 250), (40, 102, 170)),
    "shoes": ((238, 234, 228), (92, 70, 52)),
    "bags": ((244, 236, 222), (150, 96, 40)),
    "hotel": ((222, 234, 246), (52, 84, 122)),
    "room": ((246, 240, 228), (120, 86, 60)),
}


def product_picture(motif: str, seed: str, size: int = 480) -> bytes:
    """A JPEG of ``motif``'s drawing in its palette, tinted a little by ``seed``."""
    background, ink = PALETTES[motif]
    shift = zlib.crc32(seed.encode()) % 40 - 20
    background = tuple(max(0, min(255, c + shift // 2)) for c in background)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    s = size
    if motif == "noodles":
        draw.ellipse((s * .12, s * .35, s * .88, s * .85), fill=(255, 255, 255), outline=ink, width=8)
        for i in range(6):
            y = s * (.48 + i * .045)
            draw.arc((s * .2, y - s * .08, s * .8, y + s * .08), 10, 170, fill=ink, width=5)
        draw.ellipse((s * .42, s * .40, s * .58, s * .50), fill=(230, 180, 60))
    elif motif == "food":
        draw.rounded_rectangle((s * .25, s * .2, s * .75, s * .85), radius=30, fill="white", outline=ink, width=8)
        draw.rectangle((s * .25, s * .42, s * .75, s * .62), fill=ink)
    elif motif == "cosmetics":
        draw.rounded_rectangle((s * .38, s * .3, s * .62, s * .85), radius=24, fill="white", outline=ink, width=8)
        draw.rectangle((s * .43, s * .15, s * .57, s * .3), fill=ink)
    elif motif == "medicine":
        draw.rounded_rectangle((s * .2, s * .3, s * .8, s * .75), radius=30, fill=(255, 255, 255), outline=ink, width=8)
        draw.rectangle((s * .46, s * .38, s * .54, s * .67), fill=(200, 40, 40))
        draw.rectangle((s * .36, s * .48, s * .64, s * .57), fill=(200, 40, 40))
    elif motif == "shoes":
        outline = [(.15, .7), (.2, .4), (.45, .45), (.85, .65), (.85, .75), (.15, .75)]
        draw.polygon([(s * x, s * y) for x, y in outline], fill=ink)
        draw.rectangle((s * .15, s * .75, s * .85, s * .8), fill=(40, 30, 20))
    elif motif == "hotel":
        # A tower of lit windows; the seed sets how tall.
        floors = 5 + zlib.crc32(seed.encode()) % 6
        top = s * (.85 - floors * .065)
        draw.rectangle((s * .28, top, s * .72, s * .85), fill=ink)
        for floor in range(floors):
            y = top + s * (.02 + floor * .065)
            for column in range(4):
                x = s * (.32 + column * .1)
                draw.rectangle((x, y, x + s * .05, y + s * .035), fill=(250, 226, 140))
        draw.rectangle((s * .1, s * .85, s * .9, s * .88), fill=(60, 60, 60))
    elif motif == "room":
        draw.rectangle((s * .15, s * .55, s * .85, s * .75), fill="white", outline=ink, width=8)
        draw.rectangle((s * .15, s * .4, s * .22, s * .8), fill=ink)
        draw.rounded_rectangle((s * .26, s * .47, s * .44, s * .56), radius=12, fill=(236, 230, 220), outline=ink)
        draw.rectangle((s * .6, s * .2, s * .8, s * .35), fill=(200, 224, 244), outline=ink, width=6)
    else:
        draw.rounded_rectangle((s * .2, s * .38, s * .8, s * .82), radius=26, fill=ink)
        draw.arc((s * .35, s * .2, s * .65, s * .55), 180, 360, fill=ink, width=12)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()
