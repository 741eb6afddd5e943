"""The map's settings: basemap and coordinate systems, and the codes the URL carries.

Basemap settings come from the environment or `.streamlit/secrets.toml` ([map]):
- COCKPIT_BASEMAP / basemap: "none" (default: no request leaves the machine), "carto"
  (the public Carto dark style, needs the internet) or the URL of a self-hosted
  Mapbox-GL/MapLibre style.json on the intranet;
- COCKPIT_STORED_CRS / stored_crs: the system of the stored coordinates (WGS-84 default);
- COCKPIT_BASEMAP_CRS / basemap_crs: the basemap's system (default: WGS-84 for carto,
  GCJ-02 for a self-hosted style, as Chinese tile servers use). Shapes are converted once.
"""

import os
import tomllib
from dataclasses import dataclass

from components import crs
from data_access import db

DISTRICT_VIEW = {"latitude": 29.84, "longitude": 121.35, "zoom": 9.9}

# Layer code (in the URL) → label (on screen). Renaming a label never breaks a link.
LAYERS = {"cells": "网格", "towns": "镇(乡)街道界", "names": "地名", "clinics": "高山巡回医疗点",
          "compounds": "老小区", "heat": "问题热力", "gaps": "未走访对象"}
DEFAULT_LAYERS = ["cells", "towns", "names", "clinics", "compounds"]


@dataclass(frozen=True)
class MapSettings:
    basemap: str = "none"
    stored_crs: str = crs.WGS84
    basemap_crs: str = crs.WGS84

    @property
    def convert(self):
        return crs.converter(self.stored_crs, self.basemap_crs)


def settings(environ=None) -> MapSettings:
    environ = os.environ if environ is None else environ
    section = {}
    if db.SECRETS.exists():
        section = tomllib.loads(db.SECRETS.read_text(encoding="utf-8")).get("map", {})

    def pick(env, key, default):
        return environ.get(env) or section.get(key) or default

    basemap = pick("COCKPIT_BASEMAP", "basemap", "none")
    stored = pick("COCKPIT_STORED_CRS", "stored_crs", crs.WGS84)
    shown = pick("COCKPIT_BASEMAP_CRS", "basemap_crs",
                 stored if basemap == "none" else crs.WGS84 if basemap == "carto" else crs.GCJ02)
    crs.converter(stored, shown)  # refuses unknown systems with a clear message
    return MapSettings(basemap, stored, shown)
