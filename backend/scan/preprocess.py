"""Image variants for the decode cascade.

Every variant is returned with the 2x3 affine matrix ``m`` that maps the variant's pixel coordinates back
to the original image, so reads from different passes can be compared by position.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@dataclass
class Variant:
    image: np.ndarray
    m: np.ndarray  # variant coords -> original coords


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Affine ``outer ∘ inner`` (apply inner first) for 2x3 matrices."""
    a = np.vstack([outer, [0, 0, 1]])
    b = np.vstack([inner, [0, 0, 1]])
    return (a @ b)[:2]


def scale(v: Variant, f: float) -> Variant:
    if abs(f - 1.0) < 1e-6:
        return v
    interp = cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA
    img = cv2.resize(v.image, None, fx=f, fy=f, interpolation=interp)
    return Variant(img, compose(v.m, np.array([[1 / f, 0, 0], [0, 1 / f, 0]])))


def fit_long_side(v: Variant, target: int) -> Variant:
    h, w = v.image.shape[:2]
    return scale(v, target / max(h, w))


def upscale_factor(shape: tuple[int, ...]) -> float:
    """How much to enlarge a photo so thin bars span several pixels (small phone frames, thumbnails)."""
    long_side = max(shape[:2])
    if long_side <= 1100:
        return 2.0
    if long_side <= 1700:
        return 1.5
    return 1.0


def clahe(img: np.ndarray, clip: float = 2.0, tiles: int = 8) -> np.ndarray:
    return cv2.createCLAHE(clipLimit=clip, tileGridSize=(tiles, tiles)).apply(img)


def sharpen(img: np.ndarray, sigma: float = 3.0, amount: float = 0.8) -> np.ndarray:
    blur = cv2.GaussianBlur(img, (0, 0), sigma)
    return cv2.addWeighted(img, 1 + amount, blur, -amount, 0)


def otsu(img: np.ndarray) -> np.ndarray:
    return cv2.threshold(cv2.GaussianBlur(img, (3, 3), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def adaptive(img: np.ndarray, block: int = 31, c: int = 5) -> np.ndarray:
    return cv2.adaptiveThreshold(img, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block | 1, c)


def rotate(v: Variant, angle: float) -> Variant:
    """Rotate by ``angle`` degrees (counter-clockwise) on a white canvas big enough for the whole image."""
    h, w = v.image.shape[:2]
    c = (w / 2.0, h / 2.0)
    m = cv2.getRotationMatrix2D(c, angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    m[0, 2] += nw / 2.0 - c[0]
    m[1, 2] += nh / 2.0 - c[1]
    img = cv2.warpAffine(v.image, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=255)
    inv = cv2.invertAffineTransform(m)
    return Variant(img, compose(v.m, inv))


def crop(v: Variant, x: int, y: int, w: int, h: int) -> Variant:
    img = np.ascontiguousarray(v.image[y:y + h, x:x + w])
    return Variant(img, compose(v.m, np.array([[1.0, 0, x], [0, 1.0, y]])))


def barcode_regions(gray: np.ndarray, max_regions: int = 3, work_side: int = 640, scored: bool = False) -> list:
    """Candidate barcode regions ``(x, y, w, h, angle)`` in ``gray`` coordinates, most likely first.

    ``scored=True`` appends a sixth field: the blob's mean gradient response (symbols are dense with bars)
    times the square root of its thickness in ``gray`` pixels (edges of boxes and text lines are thin
    strips), comparable across ``work_side``s; regions are then ranked by it instead of by area.

    Classic gradient/morphology detector: 1D bars give a strong gradient in one direction and little in
    the other; a blackhat-free Scharr difference, blur, threshold and closing along the bars' normal
    merge a symbol into one blob. Both orientations are tried by using |gx - gy|.
    """
    h0, w0 = gray.shape[:2]
    f = min(1.0, work_side / max(h0, w0))
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else gray
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=-1)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=-1)
    grad = cv2.convertScaleAbs(cv2.absdiff(np.abs(gx), np.abs(gy)))
    grad = cv2.blur(grad, (9, 9))
    _, th = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (21, 7))
    closed = cv2.morphologyEx(th, cv2.MORPH_CLOSE, kernel)
    closed = cv2.morphologyEx(closed, cv2.MORPH_CLOSE, kernel.T)
    closed = cv2.erode(closed, None, iterations=3)
    closed = cv2.dilate(closed, None, iterations=3)
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area_min = 0.004 * small.shape[0] * small.shape[1] * min(1.0, 640 / work_side) ** 2
    out = []
    for cnt in sorted(contours, key=cv2.contourArea, reverse=True):
        area = cv2.contourArea(cnt)
        if area < area_min:
            break
        _, (rw, rh), ang = cv2.minAreaRect(cnt)
        if rw < rh:
            ang += 90.0
        x, y, w, h = cv2.boundingRect(cnt)
        mx, my = int(0.15 * w) + 8, int(0.25 * h) + 8  # keep the quiet zone and bar ends
        x0, y0 = max(0, x - mx), max(0, y - my)
        x1, y1 = min(small.shape[1], x + w + mx), min(small.shape[0], y + h + my)
        box = (int(x0 / f), int(y0 / f), int((x1 - x0) / f), int((y1 - y0) / f), float(ang))
        if scored:
            m = np.zeros(grad.shape, np.uint8)
            cv2.drawContours(m, [cnt], -1, 255, -1)
            thick = min(rw, rh) / f  # thin strips are edges of boxes and text lines, not symbols
            box += (float(cv2.mean(grad, mask=m)[0]) * float(np.sqrt(thick)),)
        out.append(box)
        if len(out) >= (12 if scored else max_regions):
            break
    if scored:
        out.sort(key=lambda r: -r[5])
    return out[:max_regions]


def _scan_axis(points):
    """(start, end, unit direction, length) of a linear read's scanline: the outline's principal axis
    (zxing gives the scanline's two ends on one or more rows, zbar the outline of its hits; both are longer
    along the scan than across it), from the outline's extreme projections on that axis."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 2:
        return None
    c = pts.mean(0)
    w, vecs = np.linalg.eigh(np.cov((pts - c).T) if len(pts) > 2 else np.outer(pts[1] - pts[0], pts[1] - pts[0]))
    u = vecs[:, int(np.argmax(w))]
    t = (pts - c) @ u
    length = float(t.max() - t.min())
    if length < 8:
        return None
    return c + t.min() * u, c + t.max() * u, u, length


def bars_beyond_ends(img: np.ndarray, points, ext: float = 0.25, min_edges: int = 4) -> bool:
    """True when the scanline of a linear read continues into more bars past either end (a partial read).

    ``points``: the read's outline in ``img``; the scanline is the line through its two farthest-apart
    points, sampled ``ext`` × its length beyond each end. A whole symbol ends in a quiet zone (≥ 10 plain
    modules); ``min_edges`` or more strong dark/light changes just past an end mean the engine decoded
    only part of the bars (ITF: its start/stop patterns recur inside the data)."""
    axis = _scan_axis(points)
    if axis is None:
        return False
    a, b, u, length = axis
    inside = img[np.clip(np.round(np.linspace(a[1], b[1], 64)).astype(int), 0, img.shape[0] - 1),
                 np.clip(np.round(np.linspace(a[0], b[0], 64)).astype(int), 0, img.shape[1] - 1)].astype(np.float32)
    contrast = float(np.percentile(inside, 90) - np.percentile(inside, 10))
    if contrast < 20:
        return False
    n = max(8, int(ext * length))
    for start, direction in ((b, u), (a, -u)):
        xs = start[0] + direction[0] * np.arange(2, n)
        ys = start[1] + direction[1] * np.arange(2, n)
        ok = (xs >= 0) & (ys >= 0) & (xs < img.shape[1] - 1) & (ys < img.shape[0] - 1)
        if ok.sum() < 4:
            continue
        prof = img[np.round(ys[ok]).astype(int), np.round(xs[ok]).astype(int)].astype(np.float32)
        dark = prof < (np.percentile(inside, 10) + np.percentile(inside, 90)) / 2
        edges = int(np.count_nonzero(dark[1:] != dark[:-1]))
        if edges >= min_edges:
            return True
    return False


def crosses_bars_obliquely(img: np.ndarray, points, max_deg: float = 30.0) -> bool:
    """True when a linear read's scanline crosses the bars around it at more than ``max_deg`` from their
    normal: such a line leaves the symbol through the bar ends, so it saw only part of the bars (a tilted
    ITF read "015999" for "0159993723"). The bars' normal is the dominant gradient orientation (structure
    tensor) around the read."""
    axis = _scan_axis(points)
    if axis is None:
        return False
    u = axis[2]
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x0, y0 = np.maximum(pts.min(0) - 12, 0).astype(int)
    x1, y1 = np.minimum(pts.max(0) + 12, [img.shape[1], img.shape[0]]).astype(int)
    roi = img[y0:y1, x0:x1].astype(np.float32)
    if roi.shape[0] < 5 or roi.shape[1] < 5:
        return False
    gx = cv2.Sobel(roi, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(roi, cv2.CV_32F, 0, 1, ksize=3)
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    theta = 0.5 * np.arctan2(2 * jxy, jxx - jyy)  # the bars' normal
    cos = abs(np.cos(theta) * u[0] + np.sin(theta) * u[1])
    return bool(cos < np.cos(np.radians(max_deg)))


def dense_regions(gray: np.ndarray, max_regions: int = 2, win: int = 15, min_side: int = 8) -> list:
    """Compact blobs dense with edges ``(x, y, w, h, 0.0)``, most likely first: small symbols in big frames.

    A symbol is edges almost everywhere (every module boundary), a printed box or a text line only along
    its outline, the background nowhere: the share of edge pixels in a ``win``-pixel window separates them
    where the bars detector (``barcode_regions``, built for 1D codes and merging nearby clutter into one
    big region) does not — a QR code of 1.4 px per module in a 12 MP frame sits beside a label it merges
    with. Ranked by density × √area; blobs wider than a third of the image are clutter, not small codes."""
    gx = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_16S, 0, 1, ksize=3)
    mag = cv2.convertScaleAbs(cv2.add(cv2.convertScaleAbs(gx), cv2.convertScaleAbs(gy)))
    _, edges = cv2.threshold(mag, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    density = cv2.blur(edges, (win, win))  # share of edge pixels, 0..255
    _, mask = cv2.threshold(density, 127, 1, cv2.THRESH_BINARY)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)  # ≪ labelling cost
    h0, w0 = gray.shape[:2]
    cands = []
    for cnt in contours:
        x, y, w, h = cv2.boundingRect(cnt)
        area = cv2.contourArea(cnt)
        if min(w, h) < min_side or max(w, h) > max(h0, w0) / 3 or area < 0.4 * w * h:
            continue
        score = float(density[y:y + h, x:x + w].mean()) / 255 * float(np.sqrt(area))
        m = int(0.3 * max(w, h)) + 4  # quiet zone and what the window shaved off
        x0, y0 = max(0, x - m), max(0, y - m)
        cands.append((score, (x0, y0, min(w0, x + w + m) - x0, min(h0, y + h + m) - y0, 0.0)))
    cands.sort(key=lambda c: -c[0])
    return [c[1] for c in cands[:max_regions]]


def flatten(img: np.ndarray, frac: float = 1 / 40) -> np.ndarray:
    """Divide out uneven light (shadow edges, glare falloff, vignetting): the paper's white is estimated by
    a grey closing with a window wider than any bar (``frac`` of the long side, ≥ 15 px), and each pixel is
    expressed as a share of it — a symbol half in shadow gets one contrast across its width."""
    k = max(15, int(max(img.shape[:2]) * frac)) | 1
    paper = cv2.morphologyEx(img, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    return cv2.divide(img, paper, scale=220)
