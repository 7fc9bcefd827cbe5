"""Static checks of the PWA files (no browser): the precache list, the manifest, the i18n table."""
from __future__ import annotations

import json
import re
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"


def test_the_service_worker_precaches_exactly_the_shell_files():
    sw = (PWA / "service-worker.js").read_text()
    listed = set(re.findall(r"^\s+'(/[^']*)',$", sw, re.M))
    on_disk = {"/" + p.relative_to(PWA).as_posix() for p in PWA.rglob("*")
               if p.is_file() and p.suffix in {".js", ".css", ".html", ".png", ".webmanifest"}
               and p.name != "service-worker.js"}
    assert listed - {"/"} == on_disk


def test_the_manifest_makes_the_app_installable():
    m = json.loads((PWA / "manifest.webmanifest").read_text())
    assert m["name"] == "进销存 JXC" and m["start_url"] == "/" and m["display"] == "standalone"
    sizes = {i["sizes"] for i in m["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in m["icons"]:
        assert (PWA / icon["src"].lstrip("/")).is_file()


def test_every_ui_string_used_exists_in_both_languages():
    table = (PWA / "js" / "i18n.js").read_text()
    rows = dict(re.findall(r"^\s+'([\w.]+)': \[('.*'), ('.*')\],$", table, re.M) and
                [(k, (zh, en)) for k, zh, en in re.findall(r"^\s+'([\w.]+)': \[('.*'), ('.*')\],$", table, re.M)])
    used = set()
    for f in (PWA / "js").rglob("*.js"):
        src = f.read_text()
        used |= set(re.findall(r"\bt\('([\w.]+)'", src))
        used |= set(re.findall(r"\b(?:key|title|submitKey): '([a-z_]+\.[\w.]+)'", src))
    missing = sorted(k for k in used if k not in rows)
    assert not missing
    for k, (zh, en) in rows.items():
        assert zh.strip("'") and en.strip("'"), k
