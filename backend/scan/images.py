"""Validate uploaded image bytes and load them as an 8-bit grayscale array.

Checks happen in order of cost: byte size, magic bytes, header dimensions (read by Pillow without
decoding pixel data, so a decompression bomb is refused before any large allocation), then the decode.
"""
from __future__ import annotations

import io
import warnings

import cv2
import numpy as np
from PIL import Image

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # 10 MB
DEFAULT_MAX_PIXELS = 40_000_000  # 40 MP

# magic prefix -> format name
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


class ImageRejected(ValueError):
    """Base class: the bytes cannot be scanned. ``status`` is the HTTP status an API should answer."""

    status = 422
    code = "image_rejected"


class NotAnImage(ImageRejected):
    """The bytes are not in a supported image format (PNG, JPEG, GIF, BMP, WebP, TIFF)."""

    status = 415
    code = "not_an_image"


class CorruptImage(ImageRejected):
    """The bytes look like an image but cannot be decoded (truncated, damaged, empty)."""

    status = 422
    code = "corrupt_image"


class ImageTooLarge(ImageRejected):
    """Too many bytes, or too many pixels (decompression-bomb guard)."""

    status = 413
    code = "image_too_large"


def sniff_format(data: bytes) -> str | None:
    """Image format from the magic bytes, or None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header only; raises CorruptImage when the header is unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own bomb warning: we apply our own limit
            with Image.open(io.BytesIO(data)) as im:
                return im.size
    except Image.DecompressionBombError as exc:  # Pillow refuses > 2x its own limit
        raise ImageTooLarge(f"Image has too many pixels ({exc}).") from exc
    except Exception as exc:
        raise CorruptImage(f"Unreadable image header: {exc}") from exc


def validate(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[str, int, int]:
    """Check bytes without decoding pixels; return (format, width, height) or raise ImageRejected."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("image data must be bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise ImageTooLarge(f"Image is {len(data)} bytes; the limit is {max_bytes} bytes.")
    if not data:
        raise NotAnImage("Empty upload.")
    fmt = sniff_format(data)
    if fmt is None:
        raise NotAnImage("Not a supported image (PNG, JPEG, GIF, BMP, WebP or TIFF).")
    w, h = image_size(data)
    if w <= 0 or h <= 0:
        raise CorruptImage("Image has no pixels.")
    if w * h > max_pixels:
        raise ImageTooLarge(f"Image is {w}x{h} = {w * h} pixels; the limit is {max_pixels}.")
    return fmt, w, h


def _to_gray(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:  # composite transparent pixels on white, else a black-on-transparent code vanishes
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        rgb = img[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        img = rgb.astype(np.uint8)
    if img.shape[2] == 1:
        return img[:, :, 0]
    return cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_BGR2GRAY)


def load_gray(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Validate then decode to a contiguous uint8 grayscale array (raises ImageRejected)."""
    fmt, _w, _h = validate(data, max_bytes=max_bytes, max_pixels=max_pixels)
    img = None
    if fmt != "gif":  # OpenCV is fastest; Pillow handles GIF and anything OpenCV refuses
        img = cv2.imdecode(np.frombuffer(bytes(data), np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Image.open(io.BytesIO(bytes(data))) as im:
                    im.seek(0)
                    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                        im = im.convert("RGBA")
                        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
                        im = Image.alpha_composite(bg, im)
                    img = np.asarray(im.convert("L"))
        except Exception as exc:
            raise CorruptImage(f"Cannot decode image: {exc}") from exc
    gray = _to_gray(img)
    if gray.size == 0:
        raise CorruptImage("Image has no pixels.")
    return np.ascontiguousarray(gray)
