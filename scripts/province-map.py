#!/usr/bin/env python3
"""Simplified outlines of the 34 provinces for the choropleth maps: writes data/provinces-34-map.tsv.

Reads the public boundaries GeoJSON (sources in data/README.md), matches each feature to its
official GSO code by name (data/provinces.csv; fails unless all 34 match one to one), projects
longitude/latitude (equirectangular, x scaled by cos 16°, y down) into a view box 300 wide,
simplifies with Douglas–Peucker, drops slivers and writes one SVG path per province, coordinates
in tenths, absolute M then relative l.

Borders shared by two provinces are simplified once (the rings are cut into arcs at the points
where provinces meet), so neighbouring outlines stay identical: no gaps, no overlaps.
Holes (only atoll lagoons in this data) are left out. The Hoàng Sa (Paracel) islands, in
TP Đà Nẵng, and the Trường Sa (Spratly) islands, in Khánh Hoà, are kept with a lower area
threshold, and always at least their largest ring.

Standard library only:
    python3 scripts/province-map.py [GEOJSON] [--tolerance T]
GEOJSON defaults to ../shared/data/provinces-34-boundaries/provinces-34.geojson beside the repository.
"""
import argparse
import csv
import json
import math
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = ROOT.parent / "shared/data/provinces-34-boundaries/provinces-34.geojson"
OUT = ROOT / "data/provinces-34-map.tsv"
WIDTH = 300
PAD = 3                 # view box units around the drawing
TOLERANCE = 0.12        # Douglas–Peucker tolerance, view box units
MIN_AREA = 1.5          # rings smaller than this (units²) are dropped, except each province's largest
ARCHIPELAGO_MIN = 0.5   # the same for the Hoàng Sa / Trường Sa rings; each group keeps its largest
# Offshore island groups: (province name as folded, rings whose mean longitude is beyond this).
ARCHIPELAGOS = {"Hoàng Sa (Paracel)": ("danang", 110.0), "Trường Sa (Spratly)": ("khanhhoa", 111.0)}


def fold(name):
    """Name key: NFC, without "Tỉnh"/"Thành phố"/"TP", HCM spelled out, no diacritics, đ→d."""
    n = unicodedata.normalize("NFC", name).strip()
    for prefix in ("Thành phố ", "Tỉnh ", "TP "):
        if n.startswith(prefix):
            n = n[len(prefix):]
    if n == "HCM":
        n = "Hồ Chí Minh"
    n = unicodedata.normalize("NFD", n.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in n if not unicodedata.combining(c)).lower().replace(" ", "")


def fail(msg):
    print(f"province-map: {msg}", file=sys.stderr)
    sys.exit(1)


def match(features, official_rows):
    """Official (code, name) for each feature, in feature order; exits unless 34 match one to one."""
    official = {}
    for code, name in official_rows:
        key = fold(name)
        if key in official:
            fail(f"{name!r} and {official[key][1]!r} fold to the same key {key!r}")
        official[key] = (code, name)
    if len(official) != 34:
        fail(f"{len(official)} provinces in provinces.csv, expected 34")
    out, seen, errors = [], {}, []
    for f in features:
        tt = f["properties"]["ten_tinh"]
        hit = official.get(fold(tt))
        if hit is None:
            errors.append(f"no official province for feature {tt!r}")
        elif hit[0] in seen:
            errors.append(f"features {seen[hit[0]]!r} and {tt!r} both match {hit[1]!r}")
        else:
            seen[hit[0]] = tt
        out.append(hit)
    missing = [n for c, n in official.values() if c not in seen]
    if missing:
        errors.append("no feature for " + ", ".join(missing))
    if errors or len(features) != 34:
        fail(f"{len(features)} features; " + "; ".join(errors))
    return out


def dp(pts, tol):
    """Douglas–Peucker on a polyline (endpoints kept; may be closed, first == last)."""
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = pts[a], pts[b]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        best, idx = -1.0, -1
        for i in range(a + 1, b):
            x, y = pts[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm if norm else math.hypot(x - x1, y - y1)
            if d > best:
                best, idx = d, i
        if idx >= 0 and best > tol:
            keep[idx] = True
            stack += [(a, idx), (idx, b)]
    return [p for p, k in zip(pts, keep) if k]


def area(ring):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]))) / 2


def num(tenths):
    """A coordinate in tenths, shortest form: 12.3, .5, -.5, 7."""
    s = f"{tenths / 10:g}" if tenths % 10 else str(tenths // 10)
    return s.replace("0.", ".", 1) if s.startswith(("0.", "-0.")) else s


def path(ring):
    """Closed SVG subpath for a ring of integer tenths: absolute M, then relative l."""
    nums = [ring[0][0], ring[0][1]]
    for (xa, ya), (xb, yb) in zip(ring, ring[1:]):
        nums += [xb - xa, yb - ya]
    out, prev = "M", ""
    for i, v in enumerate(nums):
        s = num(v)
        if i == 2:
            out += "l"
        elif i and not (s[0] == "-" or (s[0] == "." and "." in prev)):
            out += " "  # no separator needed before a sign, or before "." after a number with one
        out += s
        prev = s
    return out + "z"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("geojson", nargs="?", default=str(DEFAULT_SRC))
    ap.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = ap.parse_args()

    features = json.loads(Path(args.geojson).read_text(encoding="utf-8"))["features"]
    with open(ROOT / "data/provinces.csv", encoding="utf-8", newline="") as f:
        rows = [(r["code"], r["name"]) for r in csv.DictReader(f)]
    official = match(features, rows)

    # Outer rings in lon/lat, without the closing point or repeated points.
    points_in = 0
    rings = []  # (feature index, [(lon, lat), ...])
    for fi, f in enumerate(features):
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        for poly in polys:
            points_in += sum(len(r) for r in poly)
            r = [tuple(p[:2]) for p in poly[0]]
            r = [p for i, p in enumerate(r) if p != r[i - 1]] if len(r) > 1 else r
            if len(r) >= 3:
                rings.append((fi, r))

    lon0 = min(p[0] for _, r in rings for p in r)
    lon1 = max(p[0] for _, r in rings for p in r)
    lat0 = min(p[1] for _, r in rings for p in r)
    lat1 = max(p[1] for _, r in rings for p in r)
    kx = math.cos(math.radians(16))
    scale = (WIDTH - 2 * PAD) / ((lon1 - lon0) * kx)
    height = math.ceil((lat1 - lat0) * scale + 2 * PAD)

    def proj(p):
        return ((p[0] - lon0) * kx * scale + PAD, (lat1 - p[1]) * scale + PAD)

    # Junctions: points with more than two distinct neighbours over all rings (where a shared
    # border begins or ends, or three provinces meet).
    nbrs = {}
    for _, r in rings:
        n = len(r)
        for i, p in enumerate(r):
            s = nbrs.setdefault(p, set())
            s.add(r[i - 1])
            s.add(r[(i + 1) % n])
    junction = {p for p, s in nbrs.items() if len(s) > 2}

    # Cut each ring into arcs between junctions; simplify each distinct arc once.
    cache = {}

    def simplified(arc):
        rev = arc[::-1]
        key, flip = (tuple(arc), False) if tuple(arc) <= tuple(rev) else (tuple(rev), True)
        if key not in cache:
            cache[key] = [(round(x * 10), round(y * 10)) for x, y in dp([proj(p) for p in key], args.tolerance)]
        return cache[key][::-1] if flip else cache[key]

    by_feature = {}
    for fi, r in rings:
        cuts = [i for i, p in enumerate(r) if p in junction]
        if not cuts:
            start = r.index(min(r))  # whole ring is one closed arc; canonical start
            r = r[start:] + r[:start]
            out = simplified(r + [r[0]])
        else:
            r = r[cuts[0]:] + r[:cuts[0]]
            cuts = [c - cuts[0] for c in cuts] + [len(r)]
            r = r + [r[0]]
            out = []
            for a, b in zip(cuts, cuts[1:]):
                out += simplified(r[a:b + 1])[:-1]
            out.append(out[0])
        out = [p for i, p in enumerate(out) if i == 0 or p != out[i - 1]][:-1]  # open, no repeats
        if len(out) >= 3:
            mean_lon = sum(p[0] for p in r) / len(r)
            by_feature.setdefault(fi, []).append((area(out) / 100, mean_lon, out))

    # Keep each province's largest ring, the rings above the area threshold and, offshore,
    # each archipelago's largest ring.
    lines = [f"#viewBox\t0 0 {WIDTH} {height}"]
    points_out = 0
    found = {}
    for fi in sorted(range(len(features)), key=lambda i: official[i][0]):
        code, name = official[fi]
        key = fold(name)
        kept = sorted(by_feature.get(fi, []), key=lambda t: -t[0])
        if not kept:
            fail(f"nothing left of {name}")
        groups = {g: (k, lon) for g, (k, lon) in ARCHIPELAGOS.items() if k == key}
        chosen = [kept[0]]
        for g, (_, lon) in groups.items():
            island = [t for t in kept if t[1] > lon]
            if not island:
                fail(f"{g} islands not found in {name}")
            found[g] = (name, len(island), sum(1 for t in island if t[0] >= ARCHIPELAGO_MIN) or 1)
            if island[0] not in chosen:
                chosen.append(island[0])
        for t in kept[1:]:
            offshore = any(t[1] > lon for _, lon in groups.values())
            if t not in chosen and t[0] >= (ARCHIPELAGO_MIN if offshore else MIN_AREA):
                chosen.append(t)
        points_out += sum(len(t[2]) for t in chosen)
        lines.append(f"{code}\t{name}\t{''.join(path(t[2]) for t in chosen)}")
    missing = set(ARCHIPELAGOS) - set(found)
    if missing:
        fail("island groups not found: " + ", ".join(sorted(missing)))

    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size} bytes, view box 0 0 {WIDTH} {height}, "
          f"tolerance {args.tolerance}")
    print(f"points: {points_in} in the GeoJSON -> {points_out} drawn "
          f"({len(junction)} junctions, {len(cache)} arcs)")
    for g, (name, n, kept_n) in found.items():
        print(f"{g}: {n} rings in {name}, {kept_n} kept")


if __name__ == "__main__":
    main()
