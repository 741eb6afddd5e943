"""Server-side time of every page and the map's deck payload, on the sample database.

    python3 -m benchmarks.pages [--runs 5]

Prints figures; asserts nothing. Cold = first run in a fresh process (empty caches);
warm = median of the later runs (cached queries, as a wall screen sees them).
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from components.frame import PAGES
from data_access import db
from sample_data.generate import build_sqlite

ROOT = Path(__file__).resolve().parent.parent
DECK_BUDGET_KB = 400  # all 1,409 cells at district level (issue: a lighter deck)


def run_page(script: str) -> tuple[float, AppTest]:
    started = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if script != "app.py":
        at.switch_page(script)
    at.run()
    if at.exception:
        raise RuntimeError(f"{script}: {at.exception[0].value}")
    return time.perf_counter() - started, at


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = build_sqlite(Path(tmp) / "cockpit.db")
        print(f"sample database: built in {time.perf_counter() - started:.2f} s, "
              f"{path.stat().st_size / 1e6:.1f} MB")
        os.environ[db.ENV_VAR] = db.sample_url(path)
        # the copy is the built-in sample: it opens as the sample does (no login wall)
        os.environ["COCKPIT_SAMPLE_DB"] = str(path)
        db.SAMPLE_DB = path
        for page in PAGES:
            cold, at = run_page(page.script)
            warm = [run_page(page.script)[0] for _ in range(args.runs)]
            print(f"{page.label:6s} {page.script:22s} cold {cold:6.2f} s   "
                  f"warm median {statistics.median(warm):6.3f} s   (AppTest, {args.runs} runs)")
            if page.url_path == "map":
                spec = at.get("deck_gl_json_chart")[0].proto.json
                layers = {la["id"]: la for la in json.loads(spec)["layers"]}
                cells = layers["cells"]["data"]
                cells_json = json.dumps(cells, separators=(",", ":"), ensure_ascii=False)
                print(f"  map deck JSON at district level: {len(spec.encode()) / 1e3:.0f} kB in "
                      f"all (budget {DECK_BUDGET_KB} kB); {len(cells)} cells "
                      f"{len(cells_json.encode()) / 1e3:.0f} kB "
                      f"({len(cells_json.encode()) / len(cells):.0f} B per cell)")
                for layer_id, layer in layers.items():
                    size = len(json.dumps(layer, separators=(",", ":"), ensure_ascii=False)
                               .encode())
                    print(f"    {layer_id:14s} {size / 1e3:6.1f} kB")


if __name__ == "__main__":
    main()
