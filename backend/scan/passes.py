"""The passes of the decode cascade: (image variant, engine, engine settings).

``POOL`` is every pass the cascade may run; ``CASCADE`` is the order it runs them in, chosen from data by
the benchmark's tuner (bench/scan_loso.py, ``bench/scan_bench.py --tune``), which the benchmark also runs
leave-one-set-out to measure how well that choice generalises (docs/scanning.md, docs/benchmarks.md).
Variant names: see ``decode._Variants``.
"""
from __future__ import annotations

LIN = {"formats": "linear", "invert": False, "downscale": False}  # cheap settings for later passes

# Every pass the cascade may run: (variant, engine, engine settings). Which of them run, and in which
# order, is the one thing chosen from data — by the greedy tuner of bench/scan_loso.py (best gain in
# correct reads, wrong reads weighted −20, per ms), which the benchmark also runs leave-one-set-out.
POOL: list[tuple[str, str, dict]] = [
    ("norm", "zxing", {"formats": "nodm", "downscale": False}),
    ("gray", "zxing", {}),
    ("gray", "zbar", {}),
    ("up3", "zxing", LIN),
    ("sharp", "zxing", LIN),
    ("region0", "zxing", {"formats": "nodm", "downscale": False}),
    ("region0", "zbar", {"density": 2}),
    ("norm", "zbar", {"density": 2}),
    ("clahe", "zxing", LIN),
    ("region1", "zxing", {"formats": "nodm", "downscale": False}),
    ("region1", "zbar", {"density": 2}),
    ("rot30", "zxing", LIN),
    ("rot-30", "zxing", LIN),
    ("rot45", "zbar", {}),
    ("rot-45", "zbar", {}),
    ("otsu", "zxing", LIN),
    ("blur", "zxing", LIN),
    ("eq", "zxing", LIN),
    ("adaptive", "zxing", LIN),
    ("otsu", "zbar", {"density": 2}),
    ("blur", "zbar", {"density": 2}),
    ("norm", "zxing", {**LIN, "binarizer": "global"}),
    ("sharp", "zbar", {"density": 2}),
    ("up", "zxing", LIN),
    ("clahe", "zbar", {}),
    ("up3", "zbar", {}),
    ("gray", "zxing", {**LIN, "binarizer": "global"}),
    ("rot15", "zxing", LIN),
    ("rot-15", "zxing", LIN),
    # issue 16: two-scale region detection with full-resolution zoom (small codes in big frames), and
    # unsharp deblurring at two strengths
    ("zoom0", "zxing", {"downscale": False}),
    ("zoom1", "zxing", {"downscale": False}),
    ("zoom2", "zxing", {"downscale": False}),
    ("zoom3", "zxing", {"downscale": False}),
    ("zoom0", "zbar", {"density": 2}),
    ("zoom1", "zbar", {"density": 2}),
    ("deblur1", "zxing", LIN),
    ("deblur2", "zxing", LIN),
    ("deblur1", "zbar", {"density": 2}),
    ("deblur2", "zbar", {"density": 2}),
    # compact edge-dense blobs (small QR / Data Matrix / 1D codes beside clutter in 12 MP frames)
    ("dense0", "zxing", {"downscale": False}),
    ("dense1", "zxing", {"downscale": False}),
    ("dense0", "zbar", {"density": 2}),
    ("dense0x", "zxing", {"downscale": False}),
    ("dense0x", "zbar", {"density": 2}),
    # uneven light divided out (shadow edges across a symbol, glare falloff)
    ("flat", "zxing", LIN),
    ("flatup", "zxing", LIN),
    ("flat", "zbar", {"density": 2}),
    ("flatup", "zbar", {"density": 2}),
]

# The shipped order: ``bench/scan_bench.py --tune`` (the tuner on all of ../shared/scan-samples plus the
# synthetic training photos of bench/scan_synth.py, seed 1000). The first passes are the tuner's picks by gain;
# the others read nothing new there and they stay for photos unlike those, cheapest first.
CASCADE: list[tuple[str, str, dict]] = [
    ("gray", "zxing", {}),
    ("up", "zxing", LIN),
    ("up3", "zxing", LIN),
    ("dense0", "zbar", {"density": 2}),
    ("otsu", "zbar", {"density": 2}),
    ("flat", "zxing", LIN),
    ("flatup", "zxing", LIN),
    ("dense0x", "zxing", {"downscale": False}),
    ("norm", "zxing", {**LIN, "binarizer": "global"}),
    ("rot-30", "zxing", LIN),
    ("dense0x", "zbar", {"density": 2}),
    ("region1", "zxing", {"formats": "nodm", "downscale": False}),
    ("flat", "zbar", {"density": 2}),
    ("eq", "zxing", LIN),
    ("sharp", "zxing", LIN),
    ("dense0", "zxing", {"downscale": False}),
    ("rot30", "zxing", LIN),
    ("rot15", "zxing", LIN),
    ("zoom3", "zxing", {"downscale": False}),
    ("dense1", "zxing", {"downscale": False}),
    ("zoom2", "zxing", {"downscale": False}),
    ("region1", "zbar", {"density": 2}),
    ("zoom1", "zbar", {"density": 2}),
    ("gray", "zxing", {**LIN, "binarizer": "global"}),
    ("zoom1", "zxing", {"downscale": False}),
    ("blur", "zxing", LIN),
    ("rot-15", "zxing", LIN),
    ("otsu", "zxing", LIN),
    ("clahe", "zxing", LIN),
    ("deblur1", "zxing", LIN),
    ("adaptive", "zxing", LIN),
    ("deblur2", "zxing", LIN),
    ("region0", "zxing", {"formats": "nodm", "downscale": False}),
    ("region0", "zbar", {"density": 2}),
    ("norm", "zxing", {"formats": "nodm", "downscale": False}),
    ("zoom0", "zbar", {"density": 2}),
    ("blur", "zbar", {"density": 2}),
    ("zoom0", "zxing", {"downscale": False}),
    ("up3", "zbar", {}),
    ("gray", "zbar", {}),
    ("flatup", "zbar", {"density": 2}),
    ("sharp", "zbar", {"density": 2}),
    ("deblur1", "zbar", {"density": 2}),
    ("rot-45", "zbar", {}),
    ("rot45", "zbar", {}),
    ("norm", "zbar", {"density": 2}),
    ("clahe", "zbar", {}),
    ("deblur2", "zbar", {"density": 2}),
]
