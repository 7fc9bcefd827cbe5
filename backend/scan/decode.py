"""The decode cascade: two engines (zxing-cpp, zbar) over a list of image variants, with voting.

How a read becomes a result
---------------------------
* Every engine read is normalised (symbology name, UPC-A/UPC-E forms, Code 39 full ASCII) and checked
  (EAN/UPC check digit, minimum lengths); reads that fail are dropped.
* Reads are grouped by a key (symbology family + canonical text) and their position is mapped back to
  the original image, so reads of the same symbol from different passes can be compared.
* Symbologies with strong error detection (QR, Data Matrix, Code 128, Code 93, Aztec, PDF417) are
  accepted on one read. The others (EAN/UPC: one mod-10 digit; ITF, Codabar, Code 39: often none)
  need two passes that agree, and when another text was read at the same place, a lead of two votes.
* The cascade stops after the first pass that produces an accepted read (plus a short confirmation
  window while other candidates are pending), or when the time budget is spent.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import preprocess as pp
from .engines import ENGINES, pyzbar, zxingcpp
from .images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, image_size, load_gray
from .normal import MIN_LEN, RETAIL, STRONG  # noqa: F401  (RETAIL: part of this module's vocabulary)
from .normal import normalise as _normalise
from .passes import CASCADE, LIN, POOL  # noqa: F401  (LIN, POOL: for the benchmark's tuner)

# The time budget, loading included: p95 ≤ 400 ms per photo (issue 16). On the samples every read comes
# within 0.15 s; on the synthetic training photos 0.35 s instead of 1.5 s loses about 1 % of reads (docs).
DEFAULT_BUDGET_S = 0.35
WORK_MAX_SIDE = 2000  # larger photos are scanned downscaled (regions are cropped from full resolution)



@dataclass
class Decoded:
    """One barcode found in an image."""

    text: str
    symbology: str  # ean13 | ean8 | upca | upce | code128 | code39 | code93 | itf | codabar | qrcode | datamatrix ...
    rect: tuple[int, int, int, int]  # x, y, w, h in the original image
    points: list[tuple[int, int]]  # outline in the original image
    pass_name: str  # the pass that first read it, e.g. "zxing:norm"
    engine: str  # zxing | zbar
    votes: int = 1  # passes that read the same text
    gtin: str | None = None  # 13-digit GTIN for EAN-13/UPC-A/UPC-E, 8 digits for EAN-8
    gs1: dict | None = None  # a GS1 element string's fields (backend.domain.gs1.parse_gs1), text in HRI form

    def to_dict(self) -> dict:
        return {"text": self.text, "symbology": self.symbology, "rect": list(self.rect),
                "points": [list(p) for p in self.points], "pass": self.pass_name, "engine": self.engine,
                "votes": self.votes, "gtin": self.gtin, "gs1": self.gs1}


@dataclass
class _Read:
    text: str
    symbology: str
    key: tuple[str, str]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in original coordinates
    points: list[tuple[int, int]]
    gtin: str | None
    gs1: dict | None = None


@dataclass
class _Cand:
    first: _Read
    pass_name: str
    engine: str
    order: int
    rival_only: bool = False
    passes: set = field(default_factory=set)
    variants: set = field(default_factory=set)
    engines: set = field(default_factory=set)
    boxes: list = field(default_factory=list)


# ---------------------------------------------------------------- variants

def _iou(a, b) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw, ih = min(ax1, bx1) - max(a[0], b[0]), min(ay1, by1) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


class _Variants:
    """Lazily built, cached image variants of one photo."""

    def __init__(self, gray: np.ndarray, full: Callable[[], np.ndarray] | None = None, reduced: float = 1.0):
        """``gray``: the photo, or (``reduced`` > 1) a reduced decode of it whose full resolution ``full()``
        loads on demand, for region crops only."""
        self._full = gray if full is None else None
        self._load_full = full
        base = pp.Variant(gray, np.array([[reduced, 0.0, 0.0], [0.0, reduced, 0.0]]))
        if max(gray.shape) > WORK_MAX_SIDE:
            base = pp.fit_long_side(base, WORK_MAX_SIDE)
        self.cache: dict[str, pp.Variant | None] = {"gray": base}
        self._regions = None
        self._zoom = None
        self._dense: list | None = None

    @property
    def full(self) -> np.ndarray:
        if self._full is None:
            self._full = self._load_full()
        return self._full

    def _to_full(self, boxes) -> list[tuple[int, int, int, int, float]]:
        """Boxes found on the work image → full-resolution pixels (clipped)."""
        m = self.cache["gray"].m
        fy, fx = self.full.shape[:2]
        out = []
        for x, y, w, h, ang in boxes:
            x0, y0 = m @ np.array([x, y, 1.0])
            x1, y1 = m @ np.array([x + w, y + h, 1.0])
            x0, y0 = max(0, int(x0)), max(0, int(y0))
            x1, y1 = min(fx, int(np.ceil(x1))), min(fy, int(np.ceil(y1)))
            if x1 - x0 >= 8 and y1 - y0 >= 8:
                out.append((x0, y0, x1 - x0, y1 - y0, ang))
        return out

    def regions(self):
        """The gradient detector on the work image (the photo itself up to WORK_MAX_SIDE)."""
        if self._regions is None:
            self._regions = self._to_full(pp.barcode_regions(self.cache["gray"].image))
        return self._regions

    def zoom_regions(self):
        """Candidate regions at two detector scales (small codes in big frames), most barcode-like first."""
        if self._zoom is None:
            g = self.cache["gray"].image
            found = pp.barcode_regions(g, max_regions=4, work_side=640, scored=True)
            if max(g.shape) >= 1600:
                found += pp.barcode_regions(g, max_regions=4, work_side=1280, scored=True)
            found.sort(key=lambda r: -r[5])
            keep: list = []
            for r in found:
                if not any(_iou(r, k) > 0.5 for k in keep):
                    keep.append(r)
            self._zoom = self._to_full([r[:5] for r in keep[:4]])
        return self._zoom

    def _crop(self, reg, target: float = 900.0, max_f: float = 4.0) -> pp.Variant:
        x, y, w, h, _ = reg
        c = pp.crop(pp.Variant(self.full, pp.IDENTITY.copy()), x, y, w, h)
        return pp.scale(c, min(max_f, max(1.0, target / max(w, h, 1))))

    def get(self, name: str) -> pp.Variant | None:
        if name not in self.cache:
            self.cache[name] = self._make(name)
        return self.cache[name]

    def _make(self, name: str) -> pp.Variant | None:
        g = self.cache["gray"]
        if name == "norm":  # enlarged for small photos, local contrast equalised
            v = pp.scale(g, pp.upscale_factor(g.image.shape))
            return pp.Variant(pp.clahe(v.image), v.m)
        if name == "up":
            return pp.scale(g, pp.upscale_factor(g.image.shape))
        if name == "up3":  # tiny photos only (thumbnails, 240 px frames)
            return pp.scale(g, 3.0) if max(g.image.shape) <= 800 else None
        if name == "sharp":
            n = self.get("up")
            return pp.Variant(pp.sharpen(n.image), n.m)
        if name == "clahe":
            return pp.Variant(pp.clahe(g.image), g.m)
        if name == "blur":
            n = self.get("up")
            return pp.Variant(cv2.GaussianBlur(n.image, (5, 5), 0), n.m)
        if name == "otsu":
            n = self.get("up")
            return pp.Variant(pp.otsu(n.image), n.m)
        if name == "adaptive":
            return pp.Variant(pp.adaptive(g.image), g.m)
        if name == "flat":  # shadows and uneven light divided out
            return pp.Variant(pp.flatten(g.image), g.m)
        if name == "flatup":
            n = self.get("up")
            return pp.Variant(pp.flatten(n.image), n.m)
        if name == "eq":
            return pp.Variant(cv2.equalizeHist(g.image), g.m)
        if name.startswith("rot"):  # rot30, rot-30 ...
            src = g if max(g.image.shape) >= 400 else self.get("up")
            return pp.rotate(src, float(name[3:]))
        return self._make_crop(name)

    def _make_crop(self, name: str) -> pp.Variant | None:
        if name.startswith("region"):  # region0, region1: detected symbol, cropped at full resolution
            regs = self.regions()
            i = int(name[6:])
            if i >= len(regs):
                return None
            c = self._crop(regs[i])
            return pp.Variant(pp.clahe(c.image), c.m)
        if name.startswith("zoom"):  # zoom0..3: two-scale detector, full-resolution crop enlarged up to 4x
            regs = self.zoom_regions()
            i = int(name[4:])
            if i >= len(regs):
                return None
            c = self._crop(regs[i], target=1000.0)
            return pp.Variant(pp.clahe(c.image), c.m)
        if name.startswith("dense"):  # dense0/1: compact edge-dense blobs (small codes), enlarged up to 4x;
            if self._dense is None:  # dense0x: the same blob resampled larger with CLAHE (a second variant)
                self._dense = self._to_full(pp.dense_regions(self.cache["gray"].image))
            i = int(name[5])
            if i >= len(self._dense):
                return None
            if name.endswith("x"):
                c = self._crop(self._dense[i], target=900.0, max_f=6.0)
                return pp.Variant(pp.clahe(c.image), c.m)
            return self._crop(self._dense[i], target=600.0)
        if name in ("deblur1", "deblur2"):  # unsharp masks at two strengths (defocus, motion across bars)
            n = self.get("up")
            sigma, amount = (1.5, 1.5) if name == "deblur1" else (2.5, 3.0)
            return pp.Variant(pp.sharpen(n.image, sigma, amount), n.m)
        raise KeyError(name)


Variants = _Variants

CONFIRM_WINDOW = 3
# Unsharp masks of one image at several strengths amplify the same noise: for independence they count as
# one variant (upca-4/4.png: "8574731738478" read on deblur1 and deblur2 alone, for 023942431015).
SAME_PIXELS = {"sharp": "unsharp", "deblur1": "unsharp", "deblur2": "unsharp"}
# A weak read (EAN/UPC, ITF, Codabar, Code 39) is confirmed only by agreeing reads from at least two
# different image variants: two passes over the same pixels (zxing's two binarisers, or zxing and zbar on
# one image) can share a misread with a valid check digit — leave-one-set-out showed two such wrong reads
# (docs/scanning.md). Requiring two engines for every weak symbology read less and did not remove them.
INDEPENDENT: dict[str, tuple[str, ...]] = {"": ("variants",), "itf": ("variants", "engines")}
# ITF has no check digit and its start/stop patterns recur inside the data, so one engine's scanlines can
# read a valid shorter code inside a longer one on several variants (synthetic: "015999" for "0159993723"):
# an ITF read also needs both engines.


# ---------------------------------------------------------------- voting

def _box(points) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    pad = 0.3 * max(x1 - x0, y1 - y0) + 10
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _map_points(pts, m) -> list[tuple[int, int]]:
    arr = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    out = arr @ m[:, :2].T + m[:, 2]
    return [(int(round(x)), int(round(y))) for x, y in out]


def _part_of(o: _Cand, c: _Cand) -> bool:
    """``o`` read a contiguous part of ``c``'s text in the same symbology: a scanline that saw only some of
    ``c``'s bars (ITF's start/stop patterns recur in its data), so evidence for ``c``, not against it. The
    reverse never holds: ``c`` stays a rival of ``o``, so a partial read is still never accepted beside the
    whole one (synthetic: the whole ITF code read by 16 passes lost to its own 10-digit prefix read by 8)."""
    a, b = o.first, c.first
    fam = a.key[0].removeprefix("short:")
    return fam == b.key[0] in MIN_LEN and len(a.key[1]) < len(b.key[1]) and a.key[1] in b.key[1]


class _Ballot:
    def __init__(self):
        self.cands: dict[tuple[str, str], _Cand] = {}

    def add(self, pass_name: str, engine: str, reads, m) -> None:
        for text, sym, pts in reads:
            norm = _normalise(text, sym)
            short = norm is None and sym in MIN_LEN and bool(text.strip())
            if norm is None and not short:
                continue
            # a read too short to trust (a partial scanline: ITF "9344" inside "93441909") is still
            # evidence that something else is printed there: it counts as a rival, never as a result
            t, s, key, gtin, gs1 = norm or (text, sym, ("short:" + sym, text.strip()), None, None)
            opts = _map_points(pts, m)
            r = _Read(t, s, key, _box(opts), opts, gtin, gs1)
            c = self.cands.get(key)
            if c is None:
                c = self.cands[key] = _Cand(r, pass_name, engine, len(self.cands), rival_only=short)
            c.passes.add(pass_name)
            vname = pass_name.split(":", 1)[-1].split("/", maxsplit=1)[0]
            c.variants.add(SAME_PIXELS.get(vname, vname))
            c.engines.add(engine)
            c.boxes.append(r.box)

    def _rival_votes(self, key) -> int:
        c = self.cands[key]
        best = 0
        for k, o in self.cands.items():
            if k == key or _part_of(o, c):
                continue
            if any(_overlap(a, b) for a in c.boxes for b in o.boxes):
                best = max(best, len(o.passes))
        return best

    def status(self, key) -> str:
        """accepted | pending | rival (a too-short read: only ever a rival)"""
        c = self.cands[key]
        if c.rival_only:
            return "rival"
        if c.first.symbology in STRONG:
            return "accepted"
        v = len(c.passes)
        if not all(len(getattr(c, what)) >= 2 for what in INDEPENDENT.get(c.first.symbology, INDEPENDENT[""])):
            return "pending"
        rival = self._rival_votes(key)
        if v >= 2 and v - rival >= 2 and (rival == 0 or v >= 3 * rival):
            return "accepted"
        return "pending"

    def accepted(self) -> list[_Cand]:
        return sorted((c for k, c in self.cands.items() if self.status(k) == "accepted"), key=lambda c: c.order)

    def pending(self) -> bool:
        return any(self.status(k) == "pending" for k in self.cands)


def _result(c: _Cand) -> Decoded:
    r = c.first
    xs = [p[0] for p in r.points]
    ys = [p[1] for p in r.points]
    rect = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    return Decoded(r.text, r.symbology, rect, r.points, c.pass_name, c.engine, len(c.passes), r.gtin, r.gs1)


# ---------------------------------------------------------------- entry points

def pass_name(vname: str, engine: str, opts: dict) -> str:
    return f"{engine}:{vname}" + ("/global" if opts.get("binarizer") == "global" else "")


def pass_key(vname: str, engine: str, opts: dict) -> str:
    """A stable identity for one (variant, engine, settings) pass: the benchmark records passes by it."""
    return f"{engine}:{vname}:" + ",".join(f"{k}={opts[k]}" for k in sorted(opts))


def run_pass(variants: _Variants, vname: str, engine: str, opts: dict):
    """One pass: ``(pass_name, engine, reads, m)`` or None when the variant does not apply to this photo."""
    if engine == "zxing" and zxingcpp is None or engine == "zbar" and pyzbar is None:
        return None
    v = variants.get(vname)
    if v is None:
        return None
    reads = ENGINES[engine](np.ascontiguousarray(v.image), **opts)
    # ITF has no check digit and partial scanlines decode validly: a read whose line runs on into more
    # bars, or crosses the bars obliquely (leaving through their ends), is dropped (the synthetic set
    # showed "015999" read for "0159993723" by both engines on a tilted code)
    reads = [r for r in reads if r[1] != "itf" or not (pp.bars_beyond_ends(v.image, r[2])
                                                       or pp.crosses_bars_obliquely(v.image, r[2]))]
    return pass_name(vname, engine, opts), engine, reads, v.m


class Vote:
    """The voting state of one photo's cascade: ``feed`` one pass's reads; ``done`` when it should stop."""

    def __init__(self):
        self.ballot = _Ballot()
        self.extra: int | None = None
        self.done = False

    def feed(self, name: str, engine: str, reads, m) -> bool:
        self.ballot.add(name, engine, reads, m)
        if self.ballot.accepted():
            if not self.ballot.pending():
                self.done = True
            else:
                self.extra = CONFIRM_WINDOW if self.extra is None else self.extra - 1
                self.done = self.extra <= 0
        return self.done

    def results(self) -> list[Decoded]:
        return [_result(c) for c in self.ballot.accepted()]


def vote(cascade, runner: Callable, *, deadline: float | None = None, clock: Callable = time.perf_counter,
         trace: list | None = None) -> list[Decoded]:
    """Run ``runner(vname, engine, opts)`` for each pass in order and vote on the reads.

    ``runner`` returns ``(pass_name, engine, reads, m)`` or None; the decoder runs the engines, the
    benchmark replays recorded passes (bench/scan_bench.py, leave-one-set-out) through the same rules."""
    v = Vote()
    for vname, engine, opts in cascade:
        if deadline is not None and clock() > deadline:
            break
        out = runner(vname, engine, opts)
        if out is None:
            continue
        name, eng, reads, m = out
        if trace is not None:
            trace.append((name, [(t, s) for t, s, _ in reads]))
        if v.feed(name, eng, reads, m):
            break
    return v.results()


def decode_gray(gray: np.ndarray, *, budget_s: float = DEFAULT_BUDGET_S, cascade=None, trace: list | None = None,
                clock: Callable = time.thread_time) -> list[Decoded]:
    """Run the cascade on an already loaded uint8 grayscale image (``clock``: see ``decode``)."""
    return _decode_variants(_Variants(np.ascontiguousarray(gray)), budget_s=budget_s, cascade=cascade, trace=trace,
                            clock=clock)


def _decode_variants(variants: _Variants, *, budget_s: float, cascade=None, trace: list | None = None,
                     clock: Callable = time.thread_time) -> list[Decoded]:
    deadline = clock() + budget_s
    return vote(cascade or CASCADE, lambda vn, en, op: run_pass(variants, vn, en, op), deadline=deadline,
                clock=clock, trace=trace)


def decode(image_bytes: bytes, *, budget_s: float = DEFAULT_BUDGET_S, max_bytes: int = DEFAULT_MAX_BYTES,
           max_pixels: int = DEFAULT_MAX_PIXELS, clock: Callable = time.thread_time) -> list[Decoded]:
    """Find barcodes in an uploaded photo. Raises ``ImageRejected`` subclasses for bad input.

    ``budget_s`` covers loading the image too: the cascade gets what the decode of the file left.
    ``clock``: the budget is CPU time of the decoding thread (``time.thread_time``), so a photo gets the same
    passes — and the same answer — however busy the machine is; on an idle core that is also the latency."""
    t0 = clock()
    variants = variants_for(image_bytes, max_bytes=max_bytes, max_pixels=max_pixels)
    return _decode_variants(variants, budget_s=max(0.0, budget_s - (clock() - t0)), clock=clock)


def variants_for(image_bytes: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
                 ) -> _Variants:
    """Load a photo for the cascade: "downscale first" — a big JPEG is decoded reduced (DCT scaling), its
    full resolution only when a region crop needs it."""
    gray = load_gray(image_bytes, max_bytes=max_bytes, max_pixels=max_pixels, reduce_to=WORK_MAX_SIDE)
    k = max(image_size(image_bytes)) / max(gray.shape)  # long sides: EXIF rotation may swap width and height
    if k > 1.01:
        return _Variants(gray, lambda: load_gray(image_bytes, max_bytes=max_bytes, max_pixels=max_pixels), reduced=k)
    return _Variants(gray)
