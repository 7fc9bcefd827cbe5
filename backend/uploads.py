"""Uploaded images and served files: one place for the rules (docs/security.md, "Uploads and files").

* ``clean_image(data)``: what we keep of an uploaded image. Only bytes that *sniff* as PNG, JPEG or WebP are
  accepted (the declared content type and file name are ignored; SVG, HTML, GIF … are refused with 415),
  the header's pixel count is capped before anything is decoded (422 ``image_too_many_pixels``), and the
  image is decoded and re-encoded by Pillow: what is stored is a clean raster in the same format, without
  metadata (EXIF/GPS), trailing bytes or anything a browser could take for markup.
* ``decode_slot()``: image decoding (scan, sync photos, receipts) is bounded per process by a semaphore;
  a request that cannot get a slot within ``IMAGE_DECODE_WAIT_S`` gets 503 ``busy`` with ``Retry-After``.
* ``file_response(...)``: every file the API serves goes out with ``Content-Disposition`` (a safe ASCII
  file name plus the RFC 6266 UTF-8 one), ``X-Content-Type-Options: nosniff`` and a CSP.
* ``image_error(exc)``: the API error (zh + en) for a ``backend.scan.ImageRejected``.
"""
from __future__ import annotations

import io
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np
from flask import Response, current_app, has_app_context
from PIL import Image, ImageOps

from backend.errors import (
    DomainError,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from backend.scan.images import (
    DEFAULT_MAX_PIXELS,
    CorruptImage,
    ImageRejected,
    ImageTooLarge,
    NotAnImage,
    TooManyPixels,
    inspect,
    sniff_format,
)

# Stored images: what a browser can only ever render as a picture.
STORED_FORMATS = {"png": ("image/png", "PNG"), "jpeg": ("image/jpeg", "JPEG"), "webp": ("image/webp", "WEBP")}
IMAGE_MIMETYPES = {m for m, _ in STORED_FORMATS.values()}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# Every /api response: nothing loads, nothing runs, no framing (a file opened directly is inert).
API_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# PDFs we generate ourselves (labels, orders, invoices) are shown inline for printing: Chromium will not
# start its PDF viewer in a sandboxed document, so these drop only the ``sandbox`` keyword.
PDF_CSP = "default-src 'none'; frame-ancestors 'none'"


@dataclass
class CleanImage:
    data: bytes
    mimetype: str
    ext: str
    width: int
    height: int


def _cfg(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def max_pixels() -> int:
    return int(_cfg("IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


# ---------------------------------------------------------------- errors


def image_error(exc: ImageRejected, field: str = "image") -> DomainError:
    """The API error for an image the scan library or ``clean_image`` refused (zh + en)."""
    if isinstance(exc, TooManyPixels):
        return ValidationFailed(
            f"The image has too many pixels ({exc.pixels:,}); the limit is {exc.max_pixels:,} "
            f"(a 12 MP phone photo). Send a smaller photo.",
            zh=f"图片像素过多（{exc.pixels:,}），上限为 {exc.max_pixels:,}（约 1200 万像素的手机照片）。请发送较小的照片。",
            code="image_too_many_pixels",
            errors={field: {"limit": "max_pixels", "max_pixels": exc.max_pixels, "pixels": exc.pixels,
                            "width": exc.width, "height": exc.height}})
    if isinstance(exc, ImageTooLarge):
        return PayloadTooLarge(f"The image is too large: {exc}", zh="图片文件过大。",
                               errors={field: {"limit": "max_bytes", "detail": str(exc)}})
    if isinstance(exc, NotAnImage):
        return UnsupportedMediaType(str(exc), zh="不是受支持的图片格式。", errors={field: [str(exc)]})
    return ValidationFailed(f"The image cannot be read: {exc}", zh="图片已损坏或无法读取。",
                            code=getattr(exc, "code", "corrupt_image"), errors={field: [str(exc)]})


class UnsupportedImage(UnsupportedMediaType):
    code = "unsupported_image"
    default_message = "Only PNG, JPEG or WebP images are accepted (checked from the file's bytes)."
    default_message_zh = "仅接受 PNG、JPEG 或 WebP 图片（按文件内容判断）。"


# ---------------------------------------------------------------- images


def sniff_stored_format(data: bytes) -> str | None:
    """'png' | 'jpeg' | 'webp' when the bytes are one of the formats we store, else None."""
    fmt = sniff_format(bytes(data[:16]))
    return fmt if fmt in STORED_FORMATS else None


def clean_image(data: bytes, *, max_bytes: int | None = None, pixels: int | None = None,
                field: str = "image") -> CleanImage:
    """Check and re-encode an uploaded image (see the module docstring). Raises a DomainError (4xx)."""
    max_bytes = max_bytes or int(_cfg("IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))
    fmt = sniff_stored_format(data)
    if fmt is None:
        raise UnsupportedImage(errors={field: ["Not a PNG, JPEG or WebP file."]})
    try:
        _fmt, w, h, _alpha = inspect(data, max_bytes=max_bytes, max_pixels=pixels or max_pixels())
    except ImageRejected as exc:
        raise image_error(exc, field) from exc
    mimetype, pil_name = STORED_FORMATS[fmt]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                # phones write some JPEGs as MPO (a JPEG with extra pictures after it): the first is kept
                if im.format not in (pil_name, "MPO" if fmt == "jpeg" else pil_name) or im.size != (w, h):
                    raise CorruptImage("The image's header and contents disagree.")
                im.load()
                if fmt == "jpeg":
                    im = ImageOps.exif_transpose(im)  # keep the orientation the EXIF tag gave it
                out = _normalise_mode(im, fmt)
                buf = io.BytesIO()
                if fmt == "png":
                    out.save(buf, "PNG", optimize=False)
                elif fmt == "jpeg":
                    out.save(buf, "JPEG", quality=90)
                else:
                    out.save(buf, "WEBP", quality=90, lossless=bool(im.info.get("lossless")))
    except DomainError:
        raise
    except ImageRejected as exc:
        raise image_error(exc, field) from exc
    except Exception as exc:  # truncated, damaged, or a codec error
        raise image_error(CorruptImage("Cannot decode the image (truncated or damaged)."), field) from exc
    return CleanImage(buf.getvalue(), mimetype, "jpg" if fmt == "jpeg" else fmt, out.size[0], out.size[1])


def _normalise_mode(im: Image.Image, fmt: str) -> Image.Image:
    """A pixel mode the output format stores as plain 8-bit raster."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        im = Image.fromarray((np.asarray(im).astype(np.uint32) >> 8).clip(0, 255).astype(np.uint8), "L")
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    if fmt == "jpeg":
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        return im
    if im.mode in ("1", "L", "P", "RGB", "RGBA", "LA"):
        return im
    return im.convert("RGBA" if has_alpha else "RGB")


# ---------------------------------------------------------------- concurrency

_slots_lock = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    """This app's decode semaphore (re-made when the configured size changes, e.g. in tests)."""
    app = current_app._get_current_object()
    limit = max(1, int(app.config.get("IMAGE_DECODE_CONCURRENCY", 2)))
    with _slots_lock:
        cur = app.extensions.get("jxc_decode_slots")
        if cur is None or cur[0] != limit:
            cur = (limit, threading.BoundedSemaphore(limit))
            app.extensions["jxc_decode_slots"] = cur
    return cur[1]


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of the process's image-decode slots; 503 ``busy`` + Retry-After when none frees in time.

    Bounds the memory of concurrent decodes per process (each capped by the pixel limit)."""
    if not has_app_context():
        yield
        return
    sem = _semaphore()
    wait = float(current_app.config.get("IMAGE_DECODE_WAIT_S", 2.0))
    if not sem.acquire(timeout=wait):
        raise ServiceUnavailable(
            "The server is busy decoding other images; try again in a moment.",
            zh="服务器正在处理其他图片，请稍后重试。",
            retry_after=int(current_app.config.get("IMAGE_DECODE_RETRY_AFTER_S", 2)),
            errors={"limit": "decode_concurrency"})
    try:
        yield
    finally:
        sem.release()


# ---------------------------------------------------------------- serving files


def safe_filename(name: str | None, default: str = "file") -> str:
    """An ASCII file name safe inside ``filename="…"`` (letters, digits, ``._-``), at most 100 chars."""
    base = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")[:100]
    return base or default


def content_disposition(filename: str | None, *, inline: bool = False, default: str = "file") -> str:
    """``inline|attachment; filename="ascii"`` plus ``filename*=UTF-8''…`` when the name is not ASCII."""
    ascii_name = safe_filename(filename, default)
    disp = f'{"inline" if inline else "attachment"}; filename="{ascii_name}"'
    if filename:
        clean = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")[:150]
        if clean and clean != ascii_name:
            disp += f"; filename*=UTF-8''{quote(clean, safe='')}"
    return disp


def secure_file_headers(resp: Response, filename: str | None, *, inline: bool = False,
                        csp: str = API_CSP) -> Response:
    """Add the headers every served file needs (for responses made elsewhere, e.g. ``send_file``)."""
    resp.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = csp
    resp.headers.setdefault("Cache-Control", "private, no-store")
    return resp


def file_response(data, mimetype: str, filename: str | None, *, inline: bool = False, csp: str = API_CSP,
                  headers: dict | None = None) -> Response:
    """A file download/view with Content-Disposition, nosniff and a CSP (``data``: bytes or an iterator)."""
    resp = Response(data, mimetype=mimetype, headers=headers)
    return secure_file_headers(resp, filename, inline=inline, csp=csp)


def image_response(data: bytes, filename: str) -> Response:
    """Serve a stored image: inline only when its bytes are PNG/JPEG/WebP (older rows are re-checked),
    otherwise as an opaque download."""
    fmt = sniff_stored_format(data)
    if fmt is None:
        return file_response(data, "application/octet-stream", safe_filename(filename), inline=False)
    mimetype = STORED_FORMATS[fmt][0]
    ext = "jpg" if fmt == "jpeg" else fmt
    name = safe_filename(filename)
    if not name.lower().endswith("." + ext):
        name = f"{name}.{ext}"
    return file_response(data, mimetype, name, inline=True)
