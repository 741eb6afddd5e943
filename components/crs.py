"""WGS-84 ↔ GCJ-02, for maps whose basemap uses the other system than the stored data.

Chinese web maps (and intranet tile servers cut from them) use GCJ-02, which is offset
from WGS-84 by about 450 m around Ningbo. The database stores WGS-84 unless the setting
says otherwise; the map converts once, when it loads the shapes.
"""

import math

import numpy as np

WGS84, GCJ02 = "WGS-84", "GCJ-02"
_A = 6378245.0
_EE = 0.00669342162296594323


def _offsets(lon, lat):
    x, y = np.asarray(lon, dtype=float) - 105.0, np.asarray(lat, dtype=float) - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = np.asarray(lat, dtype=float) / 180.0 * math.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * np.sqrt(magic)) * math.pi)
    dlon = (dlon * 180.0) / (_A / np.sqrt(magic) * np.cos(rad) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    dlon, dlat = _offsets(lon, lat)
    return np.asarray(lon) + dlon, np.asarray(lat) + dlat


def gcj02_to_wgs84(lon, lat):
    """Inverse by fixed-point iteration (better than 1 cm after a few rounds)."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(5):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (tlon - glon), wlat - (tlat - glat)
    return wlon, wlat


def converter(stored: str, shown: str):
    """A function (lon, lat) → (lon, lat) from the stored system to the basemap's."""
    for system in (stored, shown):
        if system not in (WGS84, GCJ02):
            raise ValueError(f"未知的坐标系: {system}（可选 {WGS84}、{GCJ02}）")
    if stored == shown:
        return lambda lon, lat: (np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return wgs84_to_gcj02 if stored == WGS84 else gcj02_to_wgs84
