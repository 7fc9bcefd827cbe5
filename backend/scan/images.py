"""Validate uploaded image bytes and load them as an 8-bit grayscale array.

Checks happen in order of cost: byte size, magic bytes, header dimensions (read by Pillow without
decoding pixel data, so a decompression bomb is refused before any large allocation), then the decode.

Memory: a photo is decoded straight to one 8-bit grey plane (``cv2.IMREAD_GRAYSCALE``: 1 byte per pixel
whatever the file's bit depth or channels); only images with an alpha channel are decoded whole, to
composite them on white, with integer arithmetic on the grey plane. With the default 12 MP cap the worst
case (16-bit RGBA) peaks near 300 MB; an opaque photo needs ~12 MB plus the decoder's buffers.
"""
from __future__ import annotations

import io
import re
import warnings

import cv2
import numpy as np
from PIL import Image

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # 10 MB
# A phone photo is 12 MP (4000 x 3000); the PWA sends 1600 px. Larger is refused from the header.
DEFAULT_MAX_PIXELS = 12_000_000
# Pillow's own decompression-bomb guard, set explicitly (it warns above this and refuses above twice it);
# our cap above is checked first, this is the backstop for any other Pillow use in the process.
PILLOW_MAX_PIXELS = 48_000_000
Image.MAX_IMAGE_PIXELS = PILLOW_MAX_PIXELS

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


class TooManyPixels(ImageTooLarge):
    """The header declares more pixels than the limit (checked before any pixel is decoded)."""

    status = 422
    code = "image_too_many_pixels"

    def __init__(self, width: int | None, height: int | None, max_pixels: int, pixels: int | None = None):
        pixels = pixels if pixels is not None else (width or 0) * (height or 0)
        size = f"{width}x{height} = " if width and height else ""
        super().__init__(f"Image is {size}{pixels} pixels; the limit is {max_pixels}.")
        self.width, self.height, self.pixels, self.max_pixels = width, height, pixels, max_pixels


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
    return header(data)[:2]


def header(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int, bool]:
    """(width, height, has_alpha) from the header only (Pillow's open is lazy: no pixel is decoded)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own bomb warning: we apply our own limit
            with Image.open(io.BytesIO(data)) as im:
                alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
                return im.size[0], im.size[1], alpha
    except Image.DecompressionBombError as exc:  # Pillow refuses > 2x its own limit from the header
        m = re.search(r"\((\d+) pixels\)", str(exc))
        raise TooManyPixels(None, None, max_pixels, int(m.group(1)) if m else None) from exc
    except Exception as exc:
        raise CorruptImage("Unreadable image header (not a valid image file).") from exc


def validate(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[str, int, int]:
    """Check bytes without decoding pixels; return (format, width, height) or raise ImageRejected."""
    fmt, w, h, _alpha = inspect(data, max_bytes=max_bytes, max_pixels=max_pixels)
    return fmt, w, h


def inspect(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
            ) -> tuple[str, int, int, bool]:
    """``validate`` plus whether the image has an alpha channel: (format, width, height, has_alpha)."""
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
    w, h, alpha = header(data, max_pixels)
    if w <= 0 or h <= 0:
        raise CorruptImage("Image has no pixels.")
    if w * h > max_pixels:
        raise TooManyPixels(w, h, max_pixels)
    return fmt, w, h, alpha


def _to_gray(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        return img
    channels = img.shape[2]
    if channels in (2, 4):  # composite transparent pixels on white, else a black-on-transparent code vanishes
        # on the grey plane (compositing is linear, so grey-then-composite equals composite-then-grey),
        # in 16-bit integers: a few bytes per pixel instead of float copies of every channel
        gray = img[:, :, 0] if channels == 2 else cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]),
                                                                 cv2.COLOR_BGR2GRAY)
        a = img[:, :, channels - 1].astype(np.uint16)
        out = gray.astype(np.uint16) * a
        out += (255 - a) * 255
        out += 127
        out //= 255
        return out.astype(np.uint8)
    if channels == 1:
        return img[:, :, 0]
    return cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_BGR2GRAY)


_REDUCED = {2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4}


def load_gray(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
              reduce_to: int | None = None) -> np.ndarray:
    """Validate then decode to a contiguous uint8 grayscale array (raises ImageRejected).

    ``reduce_to``: an opaque JPEG whose long side is at least twice this is decoded at 1/2 or 1/4 size in
    the DCT domain (libjpeg's scaled decode: several times faster than a full decode, and no resize)."""
    fmt, w, h, alpha = inspect(data, max_bytes=max_bytes, max_pixels=max_pixels)
    img = None
    flag = cv2.IMREAD_UNCHANGED if alpha else cv2.IMREAD_GRAYSCALE
    if reduce_to and fmt == "jpeg" and not alpha:
        k = max((k for k in (1, 2, 4) if max(w, h) >= k * reduce_to), default=1)
        flag = _REDUCED.get(k, flag)
    if fmt != "gif":  # OpenCV is fastest; Pillow handles GIF and anything OpenCV refuses
        # opaque images straight to one 8-bit grey plane; alpha ones whole, to composite them on white
        img = cv2.imdecode(np.frombuffer(bytes(data), np.uint8), flag)
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
