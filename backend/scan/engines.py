"""The two decoding engines behind the cascade: zxing-cpp and zbar (through pyzbar's ctypes wrapper).

Each takes an 8-bit grey image and returns ``[(text, symbology, corner points)]`` in the image's pixels.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

try:  # zxing-cpp is optional: the cascade runs on zbar alone without it
    import zxingcpp
except ImportError:  # pragma: no cover
    zxingcpp = None

try:
    from pyzbar import pyzbar
except Exception:  # pragma: no cover  (ImportError, or libzbar missing)
    pyzbar = None



def _sym_name(raw: str) -> str:
    s = re.sub(r"[^a-z0-9]", "", raw.lower())
    return {"i25": "itf", "itf14": "itf", "isbn13": "ean13", "isbn10": "ean13", "code39extended": "code39",
            "code39ext": "code39", "code39std": "code39", "qr": "qrcode"}.get(s, s)


_ZX_FORMATS: dict = {}


def _zx_formats(kind: str):
    """zxing-cpp format sets: ``all`` (with Data Matrix, costly on big images), ``nodm``, ``linear``."""
    if not _ZX_FORMATS and zxingcpp is not None:
        f = zxingcpp.BarcodeFormat
        linear = (f.EAN13, f.EAN8, f.UPCA, f.UPCE, f.Code128, f.Code39, f.Code93, f.ITF, f.Codabar)
        _ZX_FORMATS.update(all=linear + (f.QRCode, f.DataMatrix), nodm=linear + (f.QRCode,), linear=linear)
    return _ZX_FORMATS[kind]


def _zxing(img: np.ndarray, formats: str = "all", invert: bool = True, downscale: bool = True,
           binarizer: str = "local") -> list[tuple[str, str, list]]:
    if zxingcpp is None:
        return []
    b = zxingcpp.Binarizer.GlobalHistogram if binarizer == "global" else zxingcpp.Binarizer.LocalAverage
    out = []
    for r in zxingcpp.read_barcodes(img, formats=_zx_formats(formats), try_rotate=True, try_downscale=downscale,
                                    try_invert=invert, binarizer=b):
        p = r.position
        pts = [(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y),
               (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)]
        out.append((r.text, _sym_name(str(r.format)), pts))
    return out


_ZB_SYMBOLS: list = []


def _zbar(img: np.ndarray, density: int = 1) -> list[tuple[str, str, list]]:
    """zbar through pyzbar's ctypes wrapper, so the scan density can be set (pyzbar.decode cannot)."""
    if pyzbar is None:
        return []
    from ctypes import c_void_p, cast

    from pyzbar import wrapper as zw
    s = pyzbar.ZBarSymbol
    if not _ZB_SYMBOLS:
        _ZB_SYMBOLS.extend([s.EAN13, s.EAN8, s.UPCA, s.UPCE, s.I25, s.CODE39, s.CODE93, s.CODE128, s.CODABAR, s.QRCODE])
    h, w = img.shape[:2]
    pixels = np.ascontiguousarray(img).tobytes()
    out = []
    with pyzbar._image_scanner() as scanner:
        for sym in set(s).difference(_ZB_SYMBOLS):
            zw.zbar_image_scanner_set_config(scanner, sym, zw.ZBarConfig.CFG_ENABLE, 0)
        for sym in _ZB_SYMBOLS:
            zw.zbar_image_scanner_set_config(scanner, sym, zw.ZBarConfig.CFG_ENABLE, 1)
        if density > 1:
            zw.zbar_image_scanner_set_config(scanner, 0, zw.ZBarConfig.CFG_X_DENSITY, density)
            zw.zbar_image_scanner_set_config(scanner, 0, zw.ZBarConfig.CFG_Y_DENSITY, density)
        with pyzbar._image() as zimg:
            zw.zbar_image_set_format(zimg, pyzbar._FOURCC["L800"])
            zw.zbar_image_set_size(zimg, w, h)
            zw.zbar_image_set_data(zimg, cast(pixels, c_void_p), len(pixels), None)
            if zw.zbar_scan_image(scanner, zimg) < 0:
                return []
            for r in pyzbar._decode_symbols(pyzbar._symbols_for_image(zimg)):
                try:
                    text = r.data.decode("utf-8")
                except UnicodeDecodeError:
                    text = r.data.decode("latin-1")
                pts = [(p.x, p.y) for p in r.polygon] or [(r.rect.left, r.rect.top)]
                out.append((text, _sym_name(r.type), pts))
    return out


ENGINES: dict[str, Callable] = {"zxing": _zxing, "zbar": _zbar}
