#!/usr/bin/env python3
"""Fides side by side with `habeas bench rights` (issue 4, "Speed").

Loads the same shape of data as the Habeas benchmark into a PostgreSQL
database Fides reaches through a `postgres` connection: a `customer` table
of N subjects (identity: e-mail), a `support` record for each, and heavy
subjects holding RECORDS rows spread over 10 category tables (the demo
provider's categories). Then times, through Fides' HTTP API, the same
operations: an access request of a heavy subject, an erasure request of a
heavy subject, and a batch of erasure requests of ordinary subjects.

Timings are taken from Fides' own request timestamps (created_at →
finished_processing_at) and from the client's wall clock (POST → status
`complete` seen by polling every 20 ms); both are printed.

Needs the Fides webserver already running with env.sh (see README.md).
Only the Python standard library and psycopg2 (installed with Fides) are used.
"""

import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import psycopg2

CATEGORIES = [
    "identity",
    "contact",
    "billing",
    "support",
    "security_logs",
    "connection_logs",
    "marketing",
    "mail_lists",
    "shared_files",
    "navigation",
]
# Two personal fields per table, tagged with Fides `user.*` categories so the
# default access and erasure policies reach them.
FIELDS = [("label", "user.name"), ("body", "user.content")]
DATASET = "habeas_bench"
CONNECTION = "habeas_bench_pg"


def api(base, method, path, body=None, token=None, form=False):
    data = None
    headers = {}
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            text = resp.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: HTTP {e.code}: {e.read()[:800]!r}")
    return json.loads(text) if text else None


def load_data(dsn, subjects, records, heavies):
    """Create and fill the tables; heavy subjects are h0@…, h1@…"""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS customer CASCADE")
    for c in CATEGORIES:
        cur.execute(f"DROP TABLE IF EXISTS {c}")
    cur.execute("CREATE TABLE customer (id bigint PRIMARY KEY, email text NOT NULL, name text)")
    for c in CATEGORIES:
        cur.execute(
            f"CREATE TABLE {c} (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, label text, body text)"
        )
    t = time.time()
    cur.execute(
        "INSERT INTO customer SELECT g, 'demo.' || g || '@example.org', 'Fictif ' || g "
        "FROM generate_series(1, %s) g",
        (subjects,),
    )
    cur.execute(
        "INSERT INTO support (customer_id, label, body) SELECT g, 'Ticket ' || g, "
        "'Texte fictif de démonstration n° ' || g FROM generate_series(1, %s) g",
        (subjects,),
    )
    per = records // len(CATEGORIES)
    for h in range(heavies):
        cid = subjects + 1 + h
        cur.execute(
            "INSERT INTO customer VALUES (%s, %s, %s)", (cid, f"h{h}@example.org", f"Fictif lourd {h}")
        )
        for c in CATEGORIES:
            cur.execute(
                f"INSERT INTO {c} (customer_id, label, body) SELECT %s, 'Fictif ' || g, "
                "'Texte fictif de démonstration n° ' || g FROM generate_series(1, %s) g",
                (cid, per),
            )
    cur.execute("CREATE INDEX customer_email ON customer (email)")
    for c in CATEGORIES:
        cur.execute(f"CREATE INDEX {c}_customer ON {c} (customer_id)")
    cur.execute("ANALYZE")
    conn.close()
    return time.time() - t


def dataset():
    def field(name, cat, **meta):
        f = {"name": name, "data_categories": [cat]}
        if meta:
            f["fides_meta"] = meta
        return f

    collections = [
        {
            "name": "customer",
            "fields": [
                field("id", "system.operations", primary_key=True, data_type="integer"),
                field("email", "user.contact.email", identity="email", data_type="string"),
                field("name", "user.name", data_type="string"),
            ],
        }
    ]
    for c in CATEGORIES:
        collections.append(
            {
                "name": c,
                "fields": [
                    field("id", "system.operations", primary_key=True, data_type="integer"),
                    field(
                        "customer_id",
                        "system.operations",
                        data_type="integer",
                        references=[{"dataset": DATASET, "field": "customer.id", "direction": "from"}],
                    ),
                ]
                + [field(n, cat, data_type="string") for n, cat in FIELDS],
            }
        )
    return {"fides_key": DATASET, "name": "Habeas bench", "collections": collections}


def configure(base, token, pg):
    api(base, "PUT", "/api/v1/storage/default", {
        "type": "local", "format": "json", "details": {"naming": "request_id"}}, token)
    api(base, "PATCH", "/api/v1/connection", [{
        "name": "Habeas bench", "key": CONNECTION, "connection_type": "postgres", "access": "write"}], token)
    api(base, "PUT", f"/api/v1/connection/{CONNECTION}/secret?verify=false", pg, token)
    out = api(base, "PATCH", f"/api/v1/connection/{CONNECTION}/dataset", [dataset()], token)
    if out and out.get("failed"):
        sys.exit(f"dataset refused: {json.dumps(out['failed'])[:800]}")


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def run_requests(base, token, emails, policy):
    """Submit one request per e-mail in one POST; wait until all complete.
    Returns (client wall seconds, per-request server seconds)."""
    t = time.time()
    out = api(base, "POST", "/api/v1/privacy-request",
              [{"identity": {"email": e}, "policy_key": policy} for e in emails])
    if out.get("failed"):
        sys.exit(f"requests refused: {json.dumps(out['failed'])[:800]}")
    ids = [r["id"] for r in out["succeeded"]]
    pending = set(ids)
    server = {}
    while pending:
        for rid in list(pending):
            page = api(base, "GET", f"/api/v1/privacy-request?request_id={rid}", token=token)
            item = page["items"][0]
            st = item["status"]
            if st == "complete":
                pending.discard(rid)
                server[rid] = (ts(item["finished_processing_at"]) - ts(item["created_at"])).total_seconds()
            elif st in ("error", "canceled", "denied"):
                sys.exit(f"request {rid} ended `{st}`; see the Fides server log")
        if pending:
            time.sleep(0.02)
    return time.time() - t, list(server.values())


def med_p95(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[max(0, -(-95 * len(xs) // 100) - 1)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="http://127.0.0.1:8088")
    p.add_argument("--pg-port", type=int, default=5433)
    p.add_argument("--subjects", type=int, default=1_000_000)
    p.add_argument("--records", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=5, help="access requests timed")
    p.add_argument("--erasures", type=int, default=3, help="heavy erasure requests timed")
    p.add_argument("--batch", type=int, default=100, help="erasure requests in the batch")
    p.add_argument("--client-id", default="bench")
    p.add_argument("--client-secret", default="benchsecret")
    a = p.parse_args()

    a.dsn = f"host=127.0.0.1 port={a.pg_port} user=postgres dbname=fides_bench_data"
    heavies = 1 + a.erasures
    print(f"loading {a.subjects} subjects + {heavies} heavy subjects of {a.records} rows …", flush=True)
    print(f"  loaded in {load_data(a.dsn, a.subjects, a.records, heavies):.1f} s", flush=True)
    token = api(a.base, "POST", "/api/v1/oauth/token", {
        "client_id": a.client_id, "client_secret": a.client_secret,
        "grant_type": "client_credentials"}, form=True)["access_token"]
    configure(a.base, token, {"host": "127.0.0.1", "port": a.pg_port, "dbname": "fides_bench_data",
                              "username": "postgres", "password": "postgres"})
    results = {}
    walls, servers = [], []
    for _ in range(a.runs):
        w, s = run_requests(a.base, token, ["h0@example.org"], "default_access_policy")
        walls.append(w)
        servers += s
    results["access, heavy subject"] = (walls, servers)
    walls, servers = [], []
    for h in range(1, heavies):
        w, s = run_requests(a.base, token, [f"h{h}@example.org"], "default_erasure_policy")
        walls.append(w)
        servers += s
    results["erasure, heavy subject"] = (walls, servers)
    if a.batch:
        w, s = run_requests(a.base, token,
                            [f"demo.{i}@example.org" for i in range(1, a.batch + 1)],
                            "default_erasure_policy")
        results[f"{a.batch} erasures in one POST"] = ([w], s)
    # The erasures really masked the rows.
    conn = psycopg2.connect(a.dsn)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM customer WHERE email = 'h1@example.org'")
    left = cur.fetchone()[0]
    conn.close()
    print(f"heavy subject h1 still findable by e-mail after erasure: {left}")
    print("| operation | runs | client wall median s | p95 s | server median s | p95 s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (walls, servers) in results.items():
        wm, wp = med_p95(walls)
        sm, sp = med_p95(servers)
        print(f"| {name} | {len(walls)} | {wm:.3f} | {wp:.3f} | {sm:.3f} | {sp:.3f} |")
    print(json.dumps({k: {"wall_s": v[0], "server_s": v[1][:20]} for k, v in results.items()}))


if __name__ == "__main__":
    main()
