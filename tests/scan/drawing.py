"""Drawing helpers for scan tests: codes rendered by zxing-cpp's writer, pasted on a grey canvas."""
from __future__ import annotations

import cv2
import numpy as np
import zxingcpp

F = zxingcpp.BarcodeFormat


def code_image(text: str, fmt, scale: int = 3) -> np.ndarray:
    img = np.array(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, fmt), scale=scale,
                                                   add_quiet_zones=True, add_hrt=False))
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if fmt not in (F.QRCode, F.DataMatrix):
        img = cv2.resize(img, (img.shape[1], int(img.shape[1] * 0.45)), interpolation=cv2.INTER_NEAREST)
    return img


def paste(canvas: np.ndarray, img: np.ndarray, x: int, y: int) -> tuple[int, int]:
    canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
    return x + img.shape[1] // 2, y + img.shape[0] // 2


def jpeg(img: np.ndarray, q: int = 90) -> bytes:
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])[1].tobytes()
