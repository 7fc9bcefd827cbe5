"""Regenerate the PWA icons (run once; the PNGs are committed): python pwa/icons/make_icons.py"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
THEME = (21, 101, 192)  # #1565c0, same as manifest theme_color
FONTS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]


def font(size):
    for f in FONTS:
        if Path(f).exists():
            return ImageFont.truetype(f, size)
    return ImageFont.load_default()


def icon(size: int, maskable: bool) -> Image.Image:
    img = Image.new("RGB", (size, size), THEME)
    d = ImageDraw.Draw(img)
    # barcode bars, inside the maskable safe zone (central 80%)
    pad = int(size * (0.26 if maskable else 0.18))
    top, bottom = int(size * 0.22), int(size * 0.52)
    widths = [3, 1, 2, 1, 3, 2, 1, 1, 3, 1, 2, 2, 1, 3]
    unit = (size - 2 * pad) / (sum(widths) + len(widths) - 1)
    x = pad
    for i, w in enumerate(widths):
        d.rectangle([x, top, x + w * unit - 1, bottom], fill="white")
        x += (w + 1) * unit
    label = "进销存" if Path(FONTS[0]).exists() else "JXC"
    f = font(int(size * (0.17 if maskable else 0.2)))
    tw = d.textlength(label, font=f)
    d.text(((size - tw) / 2, size * 0.58), label, font=f, fill="white")
    return img


if __name__ == "__main__":
    for s in (192, 512):
        icon(s, False).save(HERE / f"icon-{s}.png", optimize=True)
    icon(512, True).save(HERE / "icon-maskable-512.png", optimize=True)
    print("ok")
