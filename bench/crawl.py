#!/usr/bin/env python3
"""Every GET route of nqtrack, as an anonymous visitor, a unit officer, the Steering Committee
and an administrator (issue 12).

Routes come from the OpenAPI document (/api/v1/openapi.json) and from the page router's source
(`.route("…", get(…))` in crates/web/src/pages). Path parameters are filled from the data the
server holds: a province, a commune, a ministry, a programme, a task, an assignment, a feedback
item, a tracking code, an account. Each (route, role) is requested at 1 and at N concurrent
clients and p50/p95 printed as a Markdown table.

  --check   one request per (route, role), no timing: fails (exit 1) on any 5xx, timeout or
            connection error. The test command runs this on the demo.
Standard library only, so that it runs wherever Python 3 does.
"""

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Routes that are not pages to time: they redirect, serve files, or end a session.
SKIP = {"/lang/{code}", "/feedback/track", "/register/confirm", "/feedback/sent/{code}", "/feedback/files/{id}",
        "/api/v1/feedback/files/{id}", "/api/v1/evidence/{id}", "/api/v1/attachments/{id}",
        "/api/v1/catalogue/files/{id}"}


def page_routes():
    out = set()
    for d, _, files in os.walk(os.path.join(ROOT, "crates/web/src/pages")):
        for f in files:
            if f.endswith(".rs"):
                src = open(os.path.join(d, f), encoding="utf-8").read()
                out.update(re.findall(r'\.route\(\s*"([^"]+)",\s*get\(', src))
    return out


class Client:
    def __init__(self, base, timeout):
        self.base, self.timeout = base, timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path, headers=None):
        req = urllib.request.Request(self.base + path, headers={"Accept-Encoding": "gzip", **(headers or {})})
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json(self, path):
        s, b = self.get(path, {"Accept-Encoding": "identity"})
        return json.loads(b) if s == 200 else None

    def sign_in(self, user, password):
        s, b = self.get("/login", {"Accept-Encoding": "identity"})
        csrf = re.search(rb'name="_csrf" value="([^"]+)"', b).group(1).decode()
        data = urllib.parse.urlencode({"_csrf": csrf, "username": user, "password": password, "next": "/"}).encode()
        req = urllib.request.Request(self.base + "/login", data=data)
        try:
            self.opener.open(req, timeout=self.timeout).read()
        except urllib.error.HTTPError as e:
            if e.code >= 400:
                raise SystemExit(f"cannot sign in as {user}: {e.code}")
        if not any(c.name == "nqt_session" for c in self.jar):
            raise SystemExit(f"cannot sign in as {user}")


def samples(c, province_q):
    """Values for path parameters, read through the API as the Steering Committee sees them."""
    def first(v, k="items"):
        v = v.get(k) if isinstance(v, dict) else v
        return v or [{}]
    province = first(c.json(f"/api/v1/org-units?kind=province&q={urllib.parse.quote(province_q)}"))[0].get("id")
    commune = first(c.json(f"/api/v1/org-units?parent={province}&per_page=1"))[0].get("id") if province else None
    ministry = first(c.json("/api/v1/org-units?kind=central_agency&per_page=1"))[0].get("id")
    progs = c.json("/api/v1/programmes") or [{}]
    programme = next((p["id"] for p in progs if p.get("code") == "03/NQ-CP"), progs[0].get("id"))
    task = first(c.json(f"/api/v1/tasks?programme={programme}&per_page=1"))[0].get("id")
    detail = c.json(f"/api/v1/tasks/{task}") or {}
    assignment = (detail.get("assignments") or [{}])[0].get("id")
    code = first(c.json("/api/v1/feedback/published?per_page=1"))[0].get("code")
    item = (first(c.json(f"/api/v1/feedback?unit={province}&per_page=1"))[0].get("id")
            or first(c.json("/api/v1/feedback?per_page=1"))[0].get("id"))
    user = first(c.json("/api/v1/users?per_page=1"))[0].get("id")
    # An indicator that rolls up (the provincial KPI set's first), and its set.
    sets = c.json("/api/v1/indicators") or []
    rolled = [r["indicator"] for st in sets for r in st["indicators"] if r["indicator"]["aggregation"] != "none"]
    indicator = rolled[0]["id"] if rolled else None
    indicator_set = rolled[0]["set_id"] if rolled else None
    editions = c.json("/api/v1/rankings") or []
    # The provinces' latest edition, so that a province's scorecard is in it.
    edition = next((e["edition"]["id"] for e in editions if e["method"]["peer_group"] == "province"),
                   editions[0]["edition"]["id"] if editions else None)
    methods = c.json("/api/v1/methods") or []
    method = methods[0]["method"]["id"] if methods else None
    # A catalogue entry of the province (or any), as the Steering Committee sees every entry.
    entry = (first(c.json(f"/api/v1/catalogue?owner={province}"))[0].get("id")
             or first(c.json("/api/v1/catalogue"))[0].get("id"))
    return {"province": province, "commune": commune, "ministry": ministry, "programme": programme,
            "edition": edition, "method": method, "version": 1,
            "task": task, "assignment": assignment, "code": code, "item": item, "user": user,
            "indicator": indicator, "indicator_set": indicator_set, "entry": entry,
            # The chain numbers its records from 1, and any data holds the first.
            "audit": 1}


def deep_lists(admin):
    """Lists that can grow, filtered and far from their first page: a page by position must cost
    what the first page does."""
    head = ((admin.json("/api/v1/audit?per_page=1") or {}).get("items") or [{}])[0].get("seq")
    deep = None
    url = "/api/v1/feedback/published?per_page=200"
    for _ in range(5):
        nxt = (admin.json(url) or {}).get("next")
        if not nxt:
            break
        deep = urllib.parse.quote(nxt)
        url = f"/api/v1/feedback/published?per_page=200&after={deep}"
    out = ["/api/v1/audit?object_type=user", "/api/v1/users?after=m", "/admin/users?after=m"]
    if head:
        out += [f"/api/v1/audit?action=feedback.submit&after={head // 2}",
                f"/admin/audit?object_type=user&after={head // 2}", f"/api/v1/audit?after={head // 2}"]
    if deep:
        out += [f"/open311/v2/requests.json?after={deep}", f"/feedback?after={deep}"]
    return out


def open311_routes(s):
    """The Open311 facade's resources, which GeoReport describes rather than the OpenAPI document:
    both formats, a service's definition, one request, and the list filtered by status and by a
    single day long past (the filter that reads furthest through the list)."""
    out = ["/open311/v2/discovery.json", "/open311/v2/discovery.xml", "/open311/v2/services.json",
           "/open311/v2/services.xml", "/open311/v2/services/public_services.json",
           "/open311/v2/requests.json", "/open311/v2/requests.xml",
           "/open311/v2/requests.json?status=closed&service_code=public_services",
           "/open311/v2/requests.json?start_date=2026-03-02T00:00:00%2B07:00&end_date=2026-03-02T23:59:59%2B07:00"]
    if s.get("code"):
        out += [f"/open311/v2/requests/{s['code']}.json", f"/open311/v2/requests/{s['code']}.xml"]
    return out


def search_routes(c):
    """Searches as people type them, after waiting for the index (built in the background after a
    first start; until then the API answers 503)."""
    for _ in range(600):
        try:
            with urllib.request.urlopen(c.base + "/api/v1/search?q=so", timeout=30) as r:
                if r.status == 200:
                    break
        except urllib.error.HTTPError as e:
            if e.code != 503:
                break
        time.sleep(0.5)
    return ["/search?q=chuy%E1%BB%83n%20%C4%91%E1%BB%95i%20s%E1%BB%91", "/search?q=den%20duong&type=feedback",
            "/search?q=Dak%20Lak", "/api/v1/search?q=chu%20ky%20so", "/api/v1/search?q=du%20lieu&type=catalogue",
            "/api/v1/search?q=nghien%20cuu&type=task&limit=50"]


def fill(route, s):
    """The route with its parameters filled, or None when the data hold no sample."""
    def value(m):
        name, before = m.group(1), route[: m.start()]
        seg = before.rstrip("/").rsplit("/", 1)[-1]
        key = {"org": "province", "org-units": "province", "programmes": "programme", "tasks": "task",
               "assignments": "assignment", "track": "code", "items": "item", "users": "user",
               "feedback": "item", "units": "province", "audit": "audit", "indicators": "indicator",
               "indicator-sets": "indicator_set", "rankings": "edition", "methods": "method",
               "versions": "version", "method-versions": "version", "catalogue": "entry"}.get(seg)
        if name == "code" and seg in ("track",):
            key = "code"
        v = s.get(key) if key else None
        if v is None:
            raise KeyError(route)
        return urllib.parse.quote(str(v))
    try:
        return re.sub(r"\{(\w+)\}", value, route)
    except KeyError:
        return None


def timed(client, path, n, clients):
    """n requests over `clients` threads: (latencies in ms, statuses)."""
    lat, statuses, lock = [], [], threading.Lock()
    todo = list(range(n))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            t = time.perf_counter()
            try:
                st, _ = client.get(path)
            except Exception as e:  # timeout, refused: counted as a failure
                st = f"{type(e).__name__}"
            ms = (time.perf_counter() - t) * 1000
            with lock:
                lat.append(ms)
                statuses.append(st)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, statuses


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--officer", default="daklak.officer")
    ap.add_argument("--steering", default="steering")
    ap.add_argument("--admin", default="admin")
    ap.add_argument("--password", default="nqtrack-demo-2025")
    ap.add_argument("--province", default="Đắk Lắk")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--requests", type=int, default=40, help="per route, role and concurrency")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()

    roles = {"anonymous": Client(a.base, a.timeout), "officer": Client(a.base, a.timeout),
             "steering": Client(a.base, a.timeout), "admin": Client(a.base, a.timeout)}
    roles["officer"].sign_in(a.officer, a.password)
    roles["steering"].sign_in(a.steering, a.password)
    roles["admin"].sign_in(a.admin, a.password)
    s = samples(roles["steering"], a.province)
    spec = roles["anonymous"].json("/api/v1/openapi.json")
    api = {p for p, ops in spec["paths"].items() if "get" in ops}
    routes = sorted((api | page_routes()) - SKIP) + deep_lists(roles["admin"]) + open311_routes(s) + search_routes(roles["anonymous"])
    failures, rows, skipped = [], [], []
    for n, route in enumerate(routes, 1):
        if not a.check:
            print(f"\r[{n}/{len(routes)}] {route[:60]:<60}", end="", file=sys.stderr, flush=True)
        path = fill(route, s)
        if path is None:
            skipped.append(route)
            continue
        for role, c in roles.items():
            if a.check:
                lat, st = timed(c, path, 1, 1)
            else:
                timed(c, path, 2, 1)  # warm: the first request of a page may build its cache
                lat, st = timed(c, path, a.requests, 1)
                lat10, st10 = timed(c, path, a.requests * 2, a.clients)
                st += st10
            bad = [x for x in st if not isinstance(x, int) or x >= 500]
            if bad:
                failures.append(f"{role} GET {path}: {bad[:3]}")
            if not a.check:
                rows.append((path, role, st[0], pct(lat, 50), pct(lat, 95), pct(lat10, 50), pct(lat10, 95)))
    if not a.check:
        print(file=sys.stderr)
    if a.check:
        print(f"crawled {len(routes) - len(skipped)} routes × {len(roles)} roles; no sample for: {', '.join(skipped) or 'none'}")
    else:
        print(f"| route | as | status | p50 1 client | p95 1 client | p50 {a.clients} clients | p95 {a.clients} clients |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| `{r[0]}` | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.1f} |")
        worst = max(rows, key=lambda r: r[6]) if rows else None
        if worst:
            print(f"\nslowest at {a.clients} clients: {worst[1]} GET {worst[0]}, p95 {worst[6]:.1f} ms; "
                  f"{sum(1 for r in rows if r[6] > 50)} of {len(rows)} over 50 ms")
        if skipped:
            print(f"no sample in the data for: {', '.join(skipped)}")
    if failures:
        print("server errors or timeouts:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
