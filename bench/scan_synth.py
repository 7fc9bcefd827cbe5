#!/usr/bin/env python3
"""Synthetic phone photos of every supported symbology, spoiled the way phones spoil them; the decoder's
read rate and wrong reads per spoiling and strength.

    taskset -c 0 .venv/bin/python bench/scan_synth.py [--per-cell 3] [--seed 1] [--only tilt,small]

Images are made at run time from a seed (nothing is committed). Each image: a code of one symbology with
known random text (python-barcode encodes the 1D codes, qrcode the QR codes, zxing-cpp's writer the
symbologies python-barcode lacks: UPC-E, Code 93, Data Matrix; the bars are drawn here), printed on a
label, placed in a cluttered, unevenly lit frame (1280×960; 4000×3000 for "small"), then spoiled by ONE
spoiling at one strength, with mild sensor noise and JPEG q90 as every phone adds. The strengths are
fixed beforehand in physical units (module widths, degrees, JPEG quality), not fitted to the decoder.

Scoring as bench/scan_bench.py: a read of another text is WRONG; "rate" counts images whose code was read.
Times are CPU time of this process (``time.process_time``), also used as the decoder's budget clock, so the
figures do not depend on what else runs on the machine.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import string
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cv2
import numpy as np

from backend.domain.barcodes import gtin_check_digit

SYMBOLOGIES = ("ean13", "ean8", "upca", "upce", "code128", "code39", "code93", "itf", "codabar", "qrcode",
               "datamatrix")
TWO_D = {"qrcode", "datamatrix"}
FRAME = (960, 1280)
BIG_FRAME = (3000, 4000)

# spoiling -> strength -> parameter (physical units, fixed before any measurement)
STRENGTHS = {
    "none": {"-": None},
    "defocus": {"mild": 0.35, "moderate": 0.6, "strong": 0.9},  # Gaussian sigma, in module widths
    "motion": {"mild": 1.5, "moderate": 3.0, "strong": 5.0},  # blur length, in module widths
    "tilt": {"mild": 15, "moderate": 30, "strong": 45},  # degrees out of the image plane
    "rotation": {"mild": (5, 20), "moderate": (20, 60), "strong": (60, 180)},  # degrees in the plane
    "glare": {"mild": 0.15, "moderate": 0.3, "strong": 0.5},  # saturated spot radius, in code heights
    "lowlight": {"mild": (0.35, 3), "moderate": (0.2, 5), "strong": (0.1, 8)},  # (light gain, noise sigma)
    "jpeg": {"mild": 70, "moderate": 50, "strong": 30},  # JPEG quality
    "curvature": {"mild": 60, "moderate": 100, "strong": 140},  # degrees of a cylinder the code wraps
    "shadow": {"mild": 0.6, "moderate": 0.4, "strong": 0.25},  # light left in the shadow
    "small": {"mild": 2.0, "moderate": 1.4, "strong": 1.0},  # module width in pixels, in a 12 MP frame
}


# ---------------------------------------------------------------- codes

def _digits(rng, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def random_text(sym: str, rng) -> str:
    """A valid random text for ``sym`` (the expected read)."""
    if sym == "ean13":
        b = str(rng.integers(1, 10)) + _digits(rng, 11)
        return b + gtin_check_digit(b)
    if sym == "ean8":
        b = _digits(rng, 7)
        return b + gtin_check_digit(b)
    if sym == "upca":
        b = _digits(rng, 11)
        return b + gtin_check_digit(b)
    if sym == "upce":
        from backend.domain.barcodes import upca_to_upce, upce_to_upca
        while True:  # a UPC-E whose UPC-A form compresses back to it (the writer refuses the others)
            e = "0" + _digits(rng, 6)
            e += gtin_check_digit(upce_to_upca(e + "0")[:-1])
            if upca_to_upce(upce_to_upca(e)) == e:
                return e
    if sym == "itf":
        return _digits(rng, 2 * int(rng.integers(3, 8)))
    if sym == "codabar":
        return _digits(rng, int(rng.integers(6, 12)))
    alnum = string.ascii_uppercase + string.digits
    if sym == "code39":
        return "".join(rng.choice(list(alnum + "-. "), int(rng.integers(5, 10)))).strip() or "JXC1"
    if sym == "code93":
        return "".join(rng.choice(list(alnum), int(rng.integers(5, 10))))
    if sym == "code128":
        return "JXC-" + "".join(rng.choice(list(alnum + "abcxyz"), int(rng.integers(4, 10))))
    if sym == "qrcode":
        return "https://jxc.example/p/" + "".join(rng.choice(list(alnum), int(rng.integers(6, 40))))
    if sym == "datamatrix":
        return "DM-" + "".join(rng.choice(list(alnum), int(rng.integers(4, 20))))
    raise KeyError(sym)


def modules(sym: str, text: str) -> np.ndarray:
    """The code as a boolean module matrix (True = dark), quiet zone included (1 row for 1D codes)."""
    if sym in ("ean13", "ean8", "upca", "code128", "code39", "itf", "codabar"):
        from barcode import get_barcode_class
        kw = {"add_checksum": False} if sym == "code39" else {}
        t = {"upca": text[:11], "ean13": text[:12], "ean8": text[:7], "codabar": "A" + text + "B"}.get(sym, text)
        row = "".join(get_barcode_class(sym)(t, **kw).build())
        bars = np.array([c == "1" for c in row])
        return np.pad(bars, 10)[None, :]
    if sym == "qrcode":
        import qrcode
        q = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
        q.add_data(text)
        q.make(fit=True)
        return np.array(q.get_matrix(), dtype=bool)
    import zxingcpp
    fmt = {"upce": zxingcpp.BarcodeFormat.UPCE, "code93": zxingcpp.BarcodeFormat.Code93,
           "datamatrix": zxingcpp.BarcodeFormat.DataMatrix}[sym]
    img = np.array(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, fmt), scale=1,
                                                   add_quiet_zones=True, add_hrt=False))
    if img.ndim == 3:
        img = img[..., 0]
    m = img < 128
    if sym != "datamatrix":
        m = m[m.shape[0] // 2][None, :]
        m = np.pad(m, ((0, 0), (max(0, 10 - int(np.argmax(m[0]))), 10)))
    return m


def render(m: np.ndarray, px: int, ink: int, paper: int) -> np.ndarray:
    """Module matrix → grey label image, ``px`` pixels per module (1D: height half the width)."""
    if m.shape[0] == 1:
        h = max(8, int(m.shape[1] * 0.5))
        img = np.repeat(m, h, axis=0)
    else:
        img = m
    img = np.kron(img, np.ones((px, px), dtype=bool)) if px > 1 else img
    return np.where(img, ink, paper).astype(np.float32)


# ---------------------------------------------------------------- scene

def background(shape, rng) -> np.ndarray:
    """An unevenly lit, textured surface with clutter (text lines, edges, boxes); built at 1/4 size."""
    h, w = shape
    sh, sw = h // 4 + 1, w // 4 + 1
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    a, b = rng.uniform(-1, 1, 2)
    light = 150 + 50 * (a * xx / sw + b * yy / sh) + rng.uniform(-20, 20)
    tex = cv2.GaussianBlur(rng.normal(0, 25, (sh // 2 + 1, sw // 2 + 1)).astype(np.float32), (0, 0), 2)
    bg = light + cv2.resize(tex, (sw, sh), interpolation=cv2.INTER_LINEAR)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    for _ in range(int(rng.integers(4, 10))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        cw, ch = int(rng.integers(w // 30, w // 4)), int(rng.integers(h // 80 + 2, h // 20 + 3))
        bg[y0:y0 + ch, x0:x0 + cw] -= rng.uniform(30, 100)
    return bg


def homography(code_wh, frame_wh, width_frac, rot_deg, tilt_deg, tilt_axis, rng) -> np.ndarray:
    """Code image → frame: scaled to ``width_frac`` of the frame, rotated in plane, tilted in 3D."""
    cw, ch = code_wh
    fw, fh = frame_wh
    s = width_frac * fw / cw
    pts = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]]) * s
    t = math.radians(tilt_deg)
    f = 1.1 * fw  # focal length in pixels (~50° field of view)
    out = []
    for x, y in pts:
        if tilt_axis == 0:  # around the vertical axis
            X, Y, Z = x * math.cos(t), y, f + x * math.sin(t)
        else:
            X, Y, Z = x, y * math.cos(t), f + y * math.sin(t)
        out.append((f * X / Z, f * Y / Z))
    out = np.array(out)
    r = math.radians(rot_deg)
    rm = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    out = out @ rm.T
    span = out.max(0) - out.min(0)
    room = np.maximum(np.array([fw, fh]) - span, 0) / 2
    centre = np.array([fw / 2, fh / 2]) + rng.uniform(-1, 1, 2) * room * 0.8
    out = out - (out.max(0) + out.min(0)) / 2 + centre
    src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    return cv2.getPerspectiveTransform(src, np.float32(out))


def curve(label: np.ndarray, arc_deg: float) -> np.ndarray:
    """The label wrapped on a cylinder (axis vertical), seen from the front: compressed towards the edges,
    darker where the surface turns away."""
    h, w = label.shape
    a = math.radians(arc_deg) / 2
    r = (w / 2) / a
    xs = np.arange(w, dtype=np.float32)
    x_img = (xs - w / 2) / (r * math.sin(a)) * (w / 2)  # output x (centred, scaled back to width w)
    theta = np.arcsin(np.clip(x_img / (w / 2) * math.sin(a), -1, 1))
    u = theta * r + w / 2  # arc length on the label
    mapx = np.tile(u.astype(np.float32), (h, 1))
    mapy = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    out = cv2.remap(label, mapx, mapy, cv2.INTER_LINEAR, borderValue=float(label[0, 0]))
    return out * (0.55 + 0.45 * np.cos(theta))[None, :].astype(np.float32)


def make(sym: str, spoil: str, level, rng) -> tuple[bytes, str, tuple[int, int]]:
    """One spoiled photo: (JPEG bytes, expected text, frame size)."""
    text = random_text(sym, rng)
    m = modules(sym, text)
    big = spoil == "small"
    fh, fw = BIG_FRAME if big else FRAME
    n_mod = m.shape[1]
    if big:
        mod_px = float(level)
    else:
        frac = rng.uniform(0.2, 0.35) if sym in TWO_D else rng.uniform(0.35, 0.6)
        mod_px = frac * fw / n_mod
    px = max(2, int(math.ceil(mod_px * 2)))  # draw at ≥ 2× the final size, anti-aliased when warped
    ink, paper = rng.uniform(15, 60), rng.uniform(200, 245)
    label = render(m, px, ink, paper)
    if spoil == "curvature":
        label = curve(label, level)
    label = cv2.GaussianBlur(label, (0, 0), 0.5 * px / mod_px) if px > mod_px else label
    ch, cw = label.shape
    rot = rng.uniform(-4, 4)
    tilt, axis = 0.0, int(rng.integers(0, 2))
    if spoil == "rotation":
        lo, hi = level
        rot = rng.uniform(lo, hi) * rng.choice([-1, 1])
    if spoil == "tilt":
        tilt = level * rng.choice([-1, 1])
    hm = homography((cw, ch), (fw, fh), mod_px * n_mod / fw, rot, tilt, axis, rng)
    frame = background((fh, fw), rng)
    warped = cv2.warpPerspective(label, hm, (fw, fh), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones_like(label), hm, (fw, fh), flags=cv2.INTER_LINEAR)
    img = frame * (1 - mask) + warped * mask
    quad = cv2.perspectiveTransform(np.float32([[[0, 0]], [[cw, 0]], [[cw, ch]], [[0, ch]]]), hm).reshape(4, 2)
    c = quad.mean(0)
    code_h = min(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[1] - quad[0]))
    mod = mod_px  # module width in frame pixels (before tilt)
    if spoil == "defocus":
        img = cv2.GaussianBlur(img, (0, 0), level * mod)
    elif spoil == "motion":
        n = max(3, int(round(level * mod)))
        k = np.zeros((n, n), np.float32)
        k[n // 2, :] = 1
        k = cv2.warpAffine(k, cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1), (n, n))
        img = cv2.filter2D(img, -1, k / max(k.sum(), 1e-6))
    elif spoil == "glare":
        yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
        u, v = rng.uniform(0.2, 0.8, 2)  # somewhere on the code
        p = (1 - v) * ((1 - u) * quad[0] + u * quad[1]) + v * ((1 - u) * quad[3] + u * quad[2])
        rad = level * code_h
        spot = np.exp(-((xx - p[0]) ** 2 + (yy - p[1]) ** 2) / (2 * (rad / 2) ** 2))
        img = img + 300 * spot
    elif spoil == "lowlight":
        gain, sigma = level
        img = img * gain + rng.normal(0, sigma, img.shape)
    elif spoil == "shadow":
        yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
        ang = rng.uniform(0, 2 * math.pi)
        d = (xx - c[0]) * math.cos(ang) + (yy - c[1]) * math.sin(ang) + rng.uniform(-0.3, 0.3) * code_h
        edge = 1 / (1 + np.exp(np.clip(-d / max(2.0, 0.05 * code_h), -50, 50)))
        img = img * (level + (1 - level) * edge)
    img = img + rng.normal(0, 2, img.shape)  # sensor noise
    img = np.clip(img, 0, 255).astype(np.uint8)
    q = int(level) if spoil == "jpeg" else 90
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return buf.tobytes(), text, (fw, fh)


# ---------------------------------------------------------------- run

def run(per_cell: int, seed: int, only=None, syms=SYMBOLOGIES, decoder=None, budget_s: float | None = None):
    from scan_bench import same

    from backend.scan import DEFAULT_BUDGET_S, decode
    budget_s = DEFAULT_BUDGET_S if budget_s is None else budget_s
    decoder = decoder or (lambda data: [d.text for d in decode(data, budget_s=budget_s, clock=time.process_time)])
    cells = defaultdict(lambda: {"n": 0, "ok": 0, "wrong": 0})
    per_sym = defaultdict(lambda: {"n": 0, "ok": 0, "wrong": 0})
    ms_small, ms_frame = [], []
    for spoil, levels in STRENGTHS.items():
        if only and spoil not in only:
            continue
        for li, (lname, level) in enumerate(levels.items()):
            for si, sym in enumerate(syms):
                for k in range(per_cell):
                    rng = np.random.default_rng([seed, list(STRENGTHS).index(spoil), li, si, k])
                    data, text, _size = make(sym, spoil, level, rng)
                    t0 = time.process_time()
                    try:
                        got = decoder(data)
                    except Exception as exc:  # noqa: BLE001  (a crash counts as no read, and is shown)
                        print(f"  {spoil}/{lname}/{sym}: {type(exc).__name__}: {exc}", file=sys.stderr)
                        got = []
                    (ms_small if spoil == "small" else ms_frame).append((time.process_time() - t0) * 1000)
                    hit = any(same(text, g) for g in got)
                    for c in (cells[(spoil, lname)], per_sym[(sym, lname if spoil != "none" else "-")]):
                        c["n"] += 1
                        c["ok"] += hit
                        c["wrong"] += bool(got) and not hit
                    if got and not hit:
                        print(f"  WRONG {spoil}/{lname}/{sym}: expected {text!r}, read {got}", file=sys.stderr)
    return cells, per_sym, ms_frame, ms_small


def _q(xs, p):
    return statistics.quantiles(xs, n=20)[int(p * 20) - 1] if len(xs) > 1 else (xs[0] if xs else float("nan"))


def table(cells, per_sym, ms_frame, ms_small) -> str:
    def cell(c):
        if not c["n"]:
            return "–"
        s = f"{100 * c['ok'] / c['n']:.0f} % ({c['ok']}/{c['n']})"
        return s + (f", **{c['wrong']} wrong**" if c["wrong"] else "")

    lines = ["| spoiling | mild | moderate | strong |", "|---|---:|---:|---:|"]
    for spoil, levels in STRENGTHS.items():
        if spoil == "none":
            if cells[("none", "-")]["n"]:
                lines.append(f"| none (clean photo) | {cell(cells[('none', '-')])} | | |")
            continue
        if not any(cells[(spoil, lv)]["n"] for lv in levels):
            continue
        desc = {"defocus": "defocus σ 0.35 / 0.6 / 0.9 module", "motion": "motion blur 1.5 / 3 / 5 modules",
                "tilt": "perspective tilt 15° / 30° / 45°", "rotation": "rotation 5–20° / 20–60° / 60–180°",
                "glare": "glare spot r 0.15 / 0.3 / 0.5 code height", "lowlight": "low light ×0.35 / 0.2 / 0.1 + noise",
                "jpeg": "JPEG q70 / q50 / q30", "curvature": "cylinder 60° / 100° / 140°",
                "shadow": "shadow 60 / 40 / 25 % light", "small": "small: 2 / 1.4 / 1 px per module, 4000×3000"}[spoil]
        lines.append(f"| {desc} | " + " | ".join(cell(cells[(spoil, lv)]) for lv in levels) + " |")
    tot = {lv: {k: sum(cells[(s, lv)][k] for s in STRENGTHS if s != "none") for k in ("n", "ok", "wrong")}
           for lv in ("mild", "moderate", "strong")}
    lines.append("| **all spoilings** | " + " | ".join(f"**{cell(tot[lv])}**" for lv in tot) + " |")
    lines += ["", "| symbology | mild | moderate | strong |", "|---|---:|---:|---:|"]
    for sym in SYMBOLOGIES:
        if any(per_sym[(sym, lv)]["n"] for lv in ("mild", "moderate", "strong")):
            lines.append(f"| {sym} | " + " | ".join(cell(per_sym[(sym, lv)]) for lv in ("mild", "moderate", "strong")) + " |")
    lines += ["", f"CPU ms per photo on one core (decode incl. JPEG load), 1280×960: p50 {statistics.median(ms_frame):.0f}, "
                  f"p95 {_q(ms_frame, 0.95):.0f} (n={len(ms_frame)})"
              + (f"; 4000×3000: p50 {statistics.median(ms_small):.0f}, p95 {_q(ms_small, 0.95):.0f} "
                 f"(n={len(ms_small)})" if ms_small else "")]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-cell", type=int, default=3, help="photos per (spoiling, strength, symbology)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated spoilings")
    ap.add_argument("--symbologies", default=",".join(SYMBOLOGIES))
    ap.add_argument("--budget", type=float, default=None, help="decode time budget in s (default: the decoder's)")
    ap.add_argument("--save", default="", help="also write the photos into this folder (to look at them)")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    only = set(a.only.split(",")) if a.only else None
    syms = tuple(a.symbologies.split(","))
    if a.save:
        os.makedirs(a.save, exist_ok=True)
        for spoil, levels in STRENGTHS.items():
            if only and spoil not in only:
                continue
            for li, (lname, level) in enumerate(levels.items()):
                for si, sym in enumerate(syms):
                    rng = np.random.default_rng([a.seed, list(STRENGTHS).index(spoil), li, si, 0])
                    data, text, _ = make(sym, spoil, level, rng)
                    with open(os.path.join(a.save, f"{spoil}-{lname}-{sym}.jpg"), "wb") as fh:
                        fh.write(data)
        return
    t0 = time.process_time()
    res = run(a.per_cell, a.seed, only, syms, budget_s=a.budget)
    print(f"<!-- scan_synth --per-cell {a.per_cell} --seed {a.seed}: {time.process_time() - t0:.0f} s CPU -->")
    print(table(*res))


if __name__ == "__main__":
    main()
