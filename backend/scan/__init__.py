"""Barcode scanning: a pure library (no Flask, no database).

``decode(image_bytes) -> list[Decoded]`` validates the upload and runs the decode cascade;
``labels.render_labels(products, ...)`` renders printable label sheets as PDF bytes.
"""
from .decode import DEFAULT_BUDGET_S, Decoded, decode, decode_gray
from .images import (
                     DEFAULT_MAX_BYTES,
                     DEFAULT_MAX_PIXELS,
                     CorruptImage,
                     ImageRejected,
                     ImageTooLarge,
                     NotAnImage,
                     TooManyPixels,
                     load_gray,
                     validate,
)

__all__ = [
                     "DEFAULT_BUDGET_S",
                     "DEFAULT_MAX_BYTES",
                     "DEFAULT_MAX_PIXELS",
                     "CorruptImage",
                     "Decoded",
                     "ImageRejected",
                     "ImageTooLarge",
                     "NotAnImage",
                     "TooManyPixels",
                     "decode",
                     "decode_gray",
                     "load_gray",
                     "validate",
]
