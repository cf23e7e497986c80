#!/usr/bin/env python3
"""Helpers for the Prometheus reference run of the rule benchmarks (see run.sh).

Ports of the data and rule generators in bench/Monitor.Benchmarks/Rules:
  workload 1 = RuleEvaluationBenchmarks (200 rules, 10k checks x 10 probe_* gauges, 15 s ticks)
  workload 2 = LongRangeRuleBenchmarks  (125 rules, 1k checks x 10 probe_* gauges, a day of 15 s ticks)

Subcommands:
  rules W                         print the rule file (same text as the C# RuleFile())
  om W BASE FROM TO FILE          write OpenMetrics text with ticks [FROM, TO) (tick k at BASE + 15 k seconds)
  serve W BASE PORT               exposition server: the values of the current tick, with the tick's timestamp
  wait-ready URL SECS             wait until Prometheus answers /-/ready
  measure URL GROUP NEVALS NOTBEFORE OUT.json   sample the rule group's metrics after each evaluation
  verify W URL BASE OUT.json      instant queries that show the rules see the data
  selftest                        check the closed-form values against a literal port of Advance()
"""
import http.server
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request

INTERVAL = 15

# bench/Monitor.Benchmarks/ProbeFamilies.cs
FAMILIES = [
    "probe_success", "probe_duration_seconds", "probe_http_status_code", "probe_http_content_length", "probe_dns_lookup_time_seconds",
    "probe_http_version", "probe_http_redirects", "probe_http_ssl", "probe_failed_due_to_regex", "probe_ssl_earliest_cert_expiry",
]

# Checks, number of services (c % SERVICES) and teams (c % 25) per workload.
CHECKS = {1: 10_000, 2: 1_000}
SERVICES = {1: 500, 2: 50}

SHAPES_1 = [
    'probe_success{{team="t{0}"}} == 0',
    'avg_over_time(probe_duration_seconds{{team="t{0}"}}[5m]) > 2',
    'rate(probe_http_content_length{{team="t{0}"}}[5m]) > 1000',
    'sum by (service) (probe_http_redirects{{team="t{0}"}}) > 3',
    'probe_http_status_code{{team="t{0}"}} >= 500 and on(check) probe_success == 0',
    'max_over_time(probe_dns_lookup_time_seconds{{team="t{0}"}}[10m]) > 1',
    '(probe_ssl_earliest_cert_expiry{{team="t{0}"}} - time()) / 86400 < 14',
    'predict_linear(probe_duration_seconds{{team="t{0}"}}[10m], 3600) > 5',
]

SHAPES_2 = [
    'max_over_time(probe_duration_seconds{{team="t{0}"}}[1d]) > 90',
    'rate(probe_http_content_length{{team="t{0}"}}[1d]) > 1000',
    'probe_dns_lookup_time_seconds{{team="t{0}"}} > 2 * probe_dns_lookup_time_seconds{{team="t{0}"}} offset 1d',
    'avg_over_time(probe_http_redirects{{team="t{0}"}}[1d]) > 50',
    'max_over_time(rate(probe_http_status_code{{team="t{0}"}}[5m])[1d:1h]) > 10',
]


def rule_file(w):
    if w == 1:
        out = ["groups:\n- name: bench\n  rules:\n"]
        for i in range(200):
            expr = SHAPES_1[i % len(SHAPES_1)].format(i % 25)
            out.append(f"  - alert: Rule{i}\n    expr: '{expr}'\n    for: 5m\n")
    else:
        out = ["groups:\n- name: day\n  rules:\n"]
        for i in range(125):
            expr = SHAPES_2[i % len(SHAPES_2)].format(i // len(SHAPES_2))
            out.append(f"  - alert: Day{i}\n    expr: '{expr}'\n    for: 5m\n")
    return "".join(out)


# Series index i = c * 10 + f, the order the C# setup creates (and Advance() walks) them.
# Labels as SeriesScope builds them: check first, then the check's labels sorted by name (service, team).
def series(w):
    """(family index, label string, initial value) for each series in creation order."""
    out = []
    for c in range(CHECKS[w]):
        labels = f'check="check-{c:05d}",service="svc-{c % SERVICES[w]}",team="t{c % 25}"'
        for f, fam in enumerate(FAMILIES):
            init = 1 if (w == 1 and fam == "probe_success") else c % 100
            out.append((f, labels, init))
    return out


def increment(w, t):
    """What Advance() adds at tick t to the series it touches (i % 7 == t % 7)."""
    return 1 if w == 1 else t % 3


def value(w, init, i, k):
    """Value of series i after Advance() has run for ticks 0..k (closed form)."""
    r = i % 7
    if k < r:
        return init
    m = (k - r) // 7 + 1  # ticks r, r+7, ..., <= k
    if w == 1:
        return init + m
    # sum over j < m of (r + 7 j) % 3 == (r + j) % 3
    full, rem = divmod(m, 3)
    return init + 3 * full + sum((r + q) % 3 for q in range(rem))


def selftest():
    for w in (1, 2):
        n = 70
        vals = [w * 10 + i for i in range(n)]
        init = list(vals)
        for t in range(400):
            for i in range(t % 7, n, 7):
                vals[i] += increment(w, t)
            for i in range(n):
                assert vals[i] == value(w, init[i], i, t), (w, i, t)
    print("selftest ok")


def write_om(w, base, frm, to, path):
    """OpenMetrics text: families contiguous, each series' samples in time order, integer-second timestamps."""
    ss = series(w)
    ticks = range(frm, to)
    ts_suffix = [f" {base + INTERVAL * k}\n" for k in ticks]
    with open(path, "w", buffering=1 << 22) as fh:
        for f, fam in enumerate(FAMILIES):
            fh.write(f"# TYPE {fam} gauge\n")
            for i in range(f, len(ss), len(FAMILIES)):
                _, labels, init = ss[i]
                prefix = f"{fam}{{{labels}}} "
                r = i % 7
                v = value(w, init, i, frm - 1) if frm > 0 else init
                parts = []
                for j, k in enumerate(ticks):
                    if k % 7 == r:
                        v += increment(w, k)
                    parts.append(prefix + str(v) + ts_suffix[j])
                fh.write("".join(parts))
        fh.write("# EOF\n")


def serve(w, base, port):
    ss = series(w)
    cache = {}

    def body(k):
        if k not in cache:
            cache.clear()
            ts = (base + INTERVAL * k) * 1000
            lines = []
            for f, fam in enumerate(FAMILIES):
                lines.append(f"# TYPE {fam} gauge\n")
                for i in range(f, len(ss), len(FAMILIES)):
                    _, labels, init = ss[i]
                    lines.append(f"{fam}{{{labels}}} {value(w, init, i, k)} {ts}\n")
            cache[k] = "".join(lines).encode()
        return cache[k]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            k = int((time.time() - base) // INTERVAL)
            data = body(k)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def query(url, q, at=None):
    params = {"query": q}
    if at is not None:
        params["time"] = str(at)
    res = json.loads(get(f"{url}/api/v1/query?" + urllib.parse.urlencode(params), timeout=120))
    if res.get("status") != "success":
        raise RuntimeError(f"{q}: {res}")
    return res["data"]["result"]


def scalar_of(result):
    return float(result[0]["value"][1]) if result else None


def metrics(url):
    """Parse /metrics into {(name, labels-text): value}."""
    out = {}
    for line in get(f"{url}/metrics").splitlines():
        if not line or line[0] == "#":
            continue
        key, _, val = line.rpartition(" ")
        name, _, labels = key.partition("{")
        try:
            out[(name, labels.rstrip("}"))] = float(val)
        except ValueError:
            pass
    return out


def pick(m, name, contains=""):
    for (n, labels), v in m.items():
        if n == name and contains in labels:
            return v
    return None


def wait_ready(url, secs):
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            get(f"{url}/-/ready", timeout=5)
            return
        except Exception:
            time.sleep(1)
    sys.exit("prometheus not ready")


def measure(url, group, nevals, not_before, out_path):
    """One record per distinct evaluation of the group, taken from /metrics right after it (polled every 2 s)."""
    rec = []
    seen = None
    last_compactions = None
    quiet_since = time.time()
    print(f"waiting for compactions to settle and t >= {not_before:.0f} (now {time.time():.0f})", flush=True)
    # Let the TSDB finish compacting the backfilled blocks (first run ~1 min after start) before sampling.
    while True:
        m = metrics(url)
        comp = pick(m, "prometheus_tsdb_compactions_total")
        started = pick(m, "process_start_time_seconds")
        if comp != last_compactions:
            last_compactions, quiet_since = comp, time.time()
        running = pick(m, "prometheus_tsdb_compaction_duration_seconds_count")
        if time.time() >= not_before and time.time() - started > 70 and time.time() - quiet_since > 65:
            break
        time.sleep(5)
    print(f"compactions done ({last_compactions:.0f}, durations observed {running:.0f}); sampling {nevals} evaluations", flush=True)
    while len(rec) < nevals:
        m = metrics(url)
        ts = pick(m, "prometheus_rule_group_last_evaluation_timestamp_seconds", f';{group}"')
        if ts and ts != seen and ts > not_before:
            if seen is not None:  # skip the evaluation that was already done when sampling began
                r = {
                    "eval_ts": ts,
                    "duration_s": pick(m, "prometheus_rule_group_last_duration_seconds", f';{group}"'),
                    "samples": pick(m, "prometheus_rule_group_last_evaluation_samples", f';{group}"'),
                    "iterations": pick(m, "prometheus_rule_group_iterations_total", f';{group}"'),
                    "missed": pick(m, "prometheus_rule_group_iterations_missed_total", f';{group}"'),
                    "rule_failures": sum(v for (n, l), v in m.items() if n == "prometheus_rule_evaluation_failures_total" and f';{group}"' in l),
                    "rss_bytes": pick(m, "process_resident_memory_bytes"),
                    "heap_inuse_bytes": pick(m, "go_memstats_heap_inuse_bytes"),
                    "head_series": pick(m, "prometheus_tsdb_head_series"),
                    "head_samples_appended": sum(v for (n, l), v in m.items() if n == "prometheus_tsdb_head_samples_appended_total"),
                    "out_of_bound_samples": pick(m, "prometheus_tsdb_out_of_bound_samples_total"),
                    "blocks_loaded": pick(m, "prometheus_tsdb_blocks_loaded"),
                    "compactions": pick(m, "prometheus_tsdb_compactions_total"),
                    "last_scrape_s": None,
                }
                rec.append(r)
                print(f"  eval {len(rec):2d}: {r['duration_s'] * 1000:8.1f} ms  samples {r['samples']:.0f}  rss {r['rss_bytes'] / 2**20:.0f} MiB  heap {r['heap_inuse_bytes'] / 2**20:.0f} MiB", flush=True)
            seen = ts
        time.sleep(2)
    try:
        sd = query(url, 'scrape_duration_seconds{job="exposition"}[10m]')
        scrapes = [float(v) for _, v in sd[0]["values"]] if sd else []
    except Exception:
        scrapes = []
    d = [r["duration_s"] * 1000 for r in rec]
    summary = {
        "evaluations": len(rec),
        "median_ms": statistics.median(d),
        "min_ms": min(d),
        "max_ms": max(d),
        "p25_ms": statistics.quantiles(d, n=4)[0],
        "p75_ms": statistics.quantiles(d, n=4)[2],
        "rss_mib_median": statistics.median(r["rss_bytes"] for r in rec) / 2**20,
        "rss_mib_max": max(r["rss_bytes"] for r in rec) / 2**20,
        "heap_inuse_mib_median": statistics.median(r["heap_inuse_bytes"] for r in rec) / 2**20,
        "heap_inuse_mib_max": max(r["heap_inuse_bytes"] for r in rec) / 2**20,
        "rule_samples_per_eval": statistics.median(r["samples"] for r in rec),
        "missed_iterations": rec[-1]["missed"],
        "rule_failures": rec[-1]["rule_failures"],
        "head_series": rec[-1]["head_series"],
        "scrape_duration_ms_median": statistics.median(scrapes) * 1000 if scrapes else None,
        "records": rec,
    }
    with open(out_path, "w") as fh:
        json.dump(summary, fh, indent=1)
    print(f"median {summary['median_ms']:.1f} ms over {len(rec)} evaluations (min {summary['min_ms']:.1f}, max {summary['max_ms']:.1f})", flush=True)


def verify(w, url, base, out_path):
    now = time.time()
    checks = {}
    fams = ["probe_success", "probe_duration_seconds"]
    for fam in fams:
        checks[f"count({fam})"] = scalar_of(query(url, f"count({fam})"))
    checks['count({__name__=~"probe_.*"})'] = scalar_of(query(url, 'count({__name__=~"probe_.*"})'))
    if w == 1:
        for rng in ("5m", "10m"):
            q = f'count_over_time(probe_duration_seconds{{check="check-00000"}}[{rng}])'
            checks[q] = scalar_of(query(url, q))
        # every selector of the rule file, as the rules use it
        checks['count(probe_duration_seconds{team="t3"})'] = scalar_of(query(url, 'count(probe_duration_seconds{team="t3"})'))
    else:
        for q in ('count_over_time(probe_duration_seconds{check="check-00000"}[1d])',
                  'count(count_over_time(probe_http_status_code[1d]) >= 5759)',
                  'count(probe_dns_lookup_time_seconds offset 1d)',
                  'count_over_time(rate(probe_http_status_code{check="check-00000"}[5m])[1d:1h])'):
            checks[q] = scalar_of(query(url, q))
    # Spot values against the generator at an exact history tick and at the live end.
    ss = series(w)
    k_hist = int((now - base) // INTERVAL) - 30
    k_live = int((now - base) // INTERVAL) - 1
    spot = []
    for i in (0, 11, 23, 9_997 if w == 2 else 99_997):
        f, labels, init = ss[i]
        check = labels.split('"')[1]
        for k in (k_hist, k_live):
            got = scalar_of(query(url, f'{FAMILIES[f]}{{check="{check}"}}', at=base + INTERVAL * k))
            spot.append({"series": f"{FAMILIES[f]}{{check={check}}}", "tick": k, "expected": value(w, init, i, k), "got": got})
    checks["spot_values"] = spot
    checks["spot_values_ok"] = all(s["expected"] == s["got"] for s in spot)
    checks["count(ALERTS)"] = scalar_of(query(url, "count(ALERTS)"))
    checks["count(ALERTS) by alertstate"] = {r["metric"].get("alertstate"): float(r["value"][1]) for r in query(url, "count by (alertstate) (ALERTS)")}
    with open(out_path, "w") as fh:
        json.dump(checks, fh, indent=1)
    for k, v in checks.items():
        if k != "spot_values":
            print(f"  {k} = {v}")


def main(argv):
    cmd = argv[1]
    if cmd == "rules":
        sys.stdout.write(rule_file(int(argv[2])))
    elif cmd == "om":
        write_om(int(argv[2]), int(argv[3]), int(argv[4]), int(argv[5]), argv[6])
    elif cmd == "serve":
        serve(int(argv[2]), int(argv[3]), int(argv[4]))
    elif cmd == "wait-ready":
        wait_ready(argv[2], float(argv[3]))
    elif cmd == "measure":
        measure(argv[2], argv[3], int(argv[4]), float(argv[5]), argv[6])
    elif cmd == "verify":
        verify(int(argv[2]), argv[3], int(argv[4]), argv[5])
    elif cmd == "selftest":
        selftest()
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
