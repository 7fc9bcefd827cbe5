"""``python -m backend.scan FILE...``: one JSON line per file, ``{"file", "results": [...]}``."""
from __future__ import annotations

import argparse
import json
import sys
import time

from . import ImageRejected, decode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m backend.scan", description="Decode barcodes in image files.")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--budget", type=float, default=None, help="time budget per image in seconds")
    a = ap.parse_args(argv)
    status = 0
    for path in a.files:
        line = {"file": path, "results": []}
        t0 = time.perf_counter()
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            kw = {"budget_s": a.budget} if a.budget else {}
            line["results"] = [d.to_dict() for d in decode(data, **kw)]
        except ImageRejected as exc:
            line["error"] = {"code": exc.code, "message": str(exc)}
            status = 1
        except OSError as exc:
            line["error"] = {"code": "io_error", "message": str(exc)}
            status = 1
        line["ms"] = round((time.perf_counter() - t0) * 1000, 1)
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
