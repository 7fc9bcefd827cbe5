"""Photos in a push: the barcode a photo op refers to is decoded at push time (``backend.scan``), outside
any transaction; a photo that cannot be read rejects its op (and is kept re-encoded, see push)."""
from __future__ import annotations

from backend.errors import DomainError, ValidationFailed
from backend.scan import TooManyPixels, decode
from backend.sync.envelope import Op, Photo, photo_refs
from backend.uploads import (
    UnsupportedImage,
    image_error,
    max_pixels,
    sniff_stored_format,
)


class UnreadableBarcode(DomainError):
    status, code, default_message = 422, "unreadable_barcode", "No barcode could be read from the photo."
    default_message_zh = "照片中未能识别出条码。"


def decode_photo(data: bytes) -> list[str]:
    """Distinct barcode texts found in a photo (``backend.scan``). Raises ImageRejected for non-images."""
    texts: list[str] = []
    for r in decode(data, max_pixels=max_pixels()):
        if r.text not in texts:
            texts.append(r.text)
    return texts


def _decode_one(name: str, photo: Photo | None) -> tuple[str | None, DomainError | None]:
    if photo is None:
        return None, ValidationFailed(f"Photo part {name!r} is missing from the request.",
                                      zh=f"请求中缺少照片部分 {name!r}。",
                                      code="missing_photo", errors={"photo": name})
    if sniff_stored_format(photo.data) is None:  # the bytes decide, not the declared type
        return None, UnsupportedImage(errors={"photo": name})
    try:
        texts = decode_photo(photo.data)
    except TooManyPixels as exc:
        return None, image_error(exc, "photo")
    except Exception as exc:  # noqa: BLE001 - ImageRejected (corrupt, too many bytes) or a decoder failure
        return None, UnreadableBarcode(f"The photo {name!r} cannot be read: {exc}",
                                       zh=f"无法读取照片 {name!r}：{exc}",
                                       errors={"photo": name, "reason": getattr(exc, "code", "decode_failed")})
    if not texts:
        return None, UnreadableBarcode(f"No barcode found in photo {name!r}.", zh=f"照片 {name!r} 中未找到条码。",
                                       errors={"photo": name})
    if len(texts) > 1:
        return None, UnreadableBarcode(f"Several different barcodes in photo {name!r}.",
                                       zh=f"照片 {name!r} 中有多个不同的条码。",
                                       code="ambiguous_barcode", errors={"photo": name, "found": texts})
    return texts[0], None


def decode_all(op: Op) -> tuple[dict[str, str], DomainError | None]:
    """The code read from each photo the op's payload names, or the first error (with what was read)."""
    decoded: dict[str, str] = {}
    for name in photo_refs(op.payload):
        text, err = _decode_one(name, op.photos.get(name))
        if err is not None:
            return decoded, err
        assert text is not None
        decoded[name] = text
    return decoded, None
