"""Generate the scan test fixtures (committed under tests/scan/fixtures/; re-run to regenerate).

Barcodes are rendered with zxing-cpp's writer, then degraded the way phone photos are: small, rotated,
tilted in perspective, blurred, noisy, low contrast, uneven light, JPEG-compressed. A seeded RNG makes
the output reproducible. ``manifest.json`` maps each file to the expected text ("" = no barcode).

    .venv/bin/python tests/scan/make_fixtures.py
"""
from __future__ import annotations

import json
import os

import cv2
import numpy as np
import zxingcpp

OUT = os.path.join(os.path.dirname(__file__), "fixtures")
F = zxingcpp.BarcodeFormat

CODES = [
    ("ean13", F.EAN13, "6901234567892"),
    ("ean13b", F.EAN13, "4006381333931"),
    ("upca", F.UPCA, "036000291452"),
    ("ean8", F.EAN8, "96385074"),
    ("upce", F.UPCE, "04252614"),
    ("code128", F.Code128, "JXC-SKU-00042"),
    ("code39", F.Code39, "ABC-1234"),
    ("itf", F.ITF, "00012345678905"),
    ("qr", F.QRCode, "https://example.com/p/42?仓库=1"),
    ("datamatrix", F.DataMatrix, "DM-0042"),
]


def render(fmt, text, scale=3) -> np.ndarray:
    bc = zxingcpp.create_barcode(text, fmt)
    img = np.array(zxingcpp.write_barcode_to_image(bc, scale=scale, add_quiet_zones=True, add_hrt=False))
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if fmt not in (F.QRCode, F.DataMatrix) and img.shape[0] < img.shape[1] * 0.3:  # give 1D codes some height
        img = cv2.resize(img, (img.shape[1], int(img.shape[1] * 0.4)), interpolation=cv2.INTER_NEAREST)
    return img


def place(code: np.ndarray, rng, canvas=(360, 480), bg=200) -> np.ndarray:
    """Put the code on a textured, unevenly lit background."""
    h, w = canvas
    yy, xx = np.mgrid[0:h, 0:w]
    light = bg + 40 * np.sin(xx / w * np.pi) - 30 * (yy / h)
    out = np.clip(light + rng.normal(0, 4, (h, w)), 0, 255).astype(np.uint8)
    f = min((w * 0.7) / code.shape[1], (h * 0.7) / code.shape[0])
    code = cv2.resize(code, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    y0, x0 = (h - code.shape[0]) // 2, (w - code.shape[1]) // 2
    region = out[y0:y0 + code.shape[0], x0:x0 + code.shape[1]].astype(np.float32)
    out[y0:y0 + code.shape[0], x0:x0 + code.shape[1]] = np.clip(region * (code / 255.0) * 1.15, 0, 255).astype(np.uint8)
    return out


def rotate(img, angle):
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def perspective(img, k=0.12):
    h, w = img.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * k, h * k * 0.5], [w * (1 - k * 0.3), 0], [w, h], [0, h * (1 - k * 0.4)]])
    return cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE)


def degrade(name, img, rng):
    if name == "clean":
        return img
    if name == "rot90":
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if name == "rot180":
        return cv2.rotate(img, cv2.ROTATE_180)
    if name == "tilt20":
        return rotate(img, 20)
    if name == "tilt40":
        return rotate(img, -40)
    if name == "persp":
        return perspective(img)
    if name == "blur":
        return cv2.GaussianBlur(img, (0, 0), 1.3)
    if name == "noise":
        return np.clip(img + rng.normal(0, 18, img.shape), 0, 255).astype(np.uint8)
    if name == "lowcontrast":
        return (96 + img.astype(np.float32) * 0.3).astype(np.uint8)
    if name == "small":
        return cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    if name == "dark":
        return (img.astype(np.float32) * 0.35).astype(np.uint8)
    if name == "inverted":
        return 255 - img
    raise KeyError(name)


PLAN = {  # which degradations each code gets (kept small: the whole folder stays well under 1.5 MB)
    "ean13": ["clean", "rot90", "rot180", "tilt20", "tilt40", "persp", "blur", "noise", "lowcontrast", "small", "dark"],
    "ean13b": ["clean", "blur", "noise"],
    "upca": ["clean", "tilt20", "blur"],
    "ean8": ["clean", "noise"],
    "upce": ["clean", "persp"],
    "code128": ["clean", "rot90", "tilt20", "blur", "lowcontrast"],
    "code39": ["clean", "noise"],
    "itf": ["clean", "blur"],
    "qr": ["clean", "tilt40", "persp", "noise", "inverted"],
    "datamatrix": ["clean", "tilt20"],
}


def main():
    rng = np.random.default_rng(20240601)
    os.makedirs(OUT, exist_ok=True)
    manifest = {}
    for key, fmt, text in CODES:
        code = render(fmt, text)
        for deg in PLAN[key]:
            img = degrade(deg, place(code, rng), rng)
            fname = f"{key}_{deg}.jpg"
            cv2.imwrite(os.path.join(OUT, fname), img, [cv2.IMWRITE_JPEG_QUALITY, 80])
            manifest[fname] = text
    # pure renderings as PNG (lossless), the way a label file looks
    cv2.imwrite(os.path.join(OUT, "ean13_pure.png"), render(F.EAN13, "6901234567892", scale=2))
    manifest["ean13_pure.png"] = "6901234567892"
    # negatives: no barcode at all
    blank = place(np.full((60, 200), 255, np.uint8), rng)
    cv2.imwrite(os.path.join(OUT, "none_texture.jpg"), blank, [cv2.IMWRITE_JPEG_QUALITY, 80])
    stripes = np.tile(((np.arange(480) // 7) % 2 * 200 + 20).astype(np.uint8), (360, 1))  # regular stripes, not a code
    cv2.imwrite(os.path.join(OUT, "none_stripes.png"), stripes)
    text_img = np.full((360, 480), 235, np.uint8)
    for i in range(9):
        cv2.putText(text_img, "Lorem ipsum 12345 dolor", (10, 35 + i * 38), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 30, 2)
    cv2.imwrite(os.path.join(OUT, "none_text.png"), text_img)
    manifest.update({"none_texture.jpg": "", "none_stripes.png": "", "none_text.png": ""})
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(manifest)} fixtures, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
