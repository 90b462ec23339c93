"""Copy the README's screenshots from var/screenshots/ into docs/screenshots/,
cut to the top of the page and reduced to a 256-colour palette, so that
the committed set stays small (the full pages stay in var/screenshots/).

    python -m tests.browser.doc_screenshots home-phone product-desktop ...
"""

import sys
from pathlib import Path

from PIL import Image

BASE_DIR = Path(__file__).resolve().parents[2]
SOURCE = BASE_DIR / "var" / "screenshots"
TARGET = BASE_DIR / "docs" / "screenshots"
# The screenshots are taken at 390x844 and 1366x768: about two phone
# screens, one and a half desktop screens.
MAX_HEIGHT = {"phone": 1688, "desktop": 1152}


def publish(name: str) -> Path:
    image = Image.open(SOURCE / f"{name}.png").convert("RGB")
    height = min(image.height, MAX_HEIGHT[name.rsplit("-", 1)[1]])
    target = TARGET / f"{name}.png"
    image.crop((0, 0, image.width, height)).quantize(colors=256).save(target, optimize=True)
    return target


def main(names: list[str]) -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = publish(name)
        print(f"{target.relative_to(BASE_DIR)}  {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
