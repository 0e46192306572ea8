"""Bounded loopback load on `kg serve`: concurrency N for a fixed time, with a mix of canned queries,
deliberately expensive queries and malformed requests. Reports counts, latencies and peak memory.

    .venv/bin/python -m bench.hostile_load --data-dir build --seconds 30 --concurrency 16

Traffic goes only to 127.0.0.1, and every loop stops at the deadline.
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CHEAP = [
    "/queries/private-data-access.srj",
    "/queries/legal-positions.srj?topic=topic:microdata-access",
    "/queries/cases-by-type.srj",
    "/sparql?query=" + urllib.parse.quote("ASK { ?s a <https://w3id.org/nso-partnership/ontology#PartnershipCase> }"),
    "/sparql?query=" + urllib.parse.quote("SELECT ?l WHERE { ?l a <https://w3id.org/nso-partnership/ontology#StatisticalLaw> } LIMIT 50"),
]
EXPENSIVE = "/sparql?query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
MALFORMED = ["/sparql?query=" + urllib.parse.quote("SELECT * WHERE {"), "/sparql?query=" + urllib.parse.quote("DROP ALL"),
             "/queries/private-data-access.srj?country=" + urllib.parse.quote("not an iri"), "/sparql?query="]


@dataclass
class Tally:
    good_ok: int = 0
    good_failed: list[str] = field(default_factory=list)
    expensive_cut: int = 0
    expensive_other: list[str] = field(default_factory=list)
    malformed_4xx: int = 0
    malformed_other: list[str] = field(default_factory=list)
    good_latency: list[float] = field(default_factory=list)
    expensive_latency: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (the query workers), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return total


def worker(base: str, deadline: float, tally: Tally, seed: int, expensive_every: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=60) as client:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            if n % expensive_every == 0:
                kind, url = "expensive", EXPENSIVE
            elif rng.random() < 0.15:
                kind, url = "malformed", rng.choice(MALFORMED)
            else:
                kind, url = "good", rng.choice(CHEAP)
            started = time.perf_counter()
            try:
                status = client.get(url).status_code
            except httpx.HTTPError as exc:
                status = f"error {type(exc).__name__}"
            elapsed = time.perf_counter() - started
            with tally.lock:
                if kind == "good":
                    tally.good_latency.append(elapsed)
                    (tally.good_failed.append(f"{status} {url}") if status != 200 else None)
                    tally.good_ok += status == 200
                elif kind == "expensive":
                    tally.expensive_latency.append(elapsed)
                    if status == 503:
                        tally.expensive_cut += 1
                    else:
                        tally.expensive_other.append(f"{status}")
                else:
                    if isinstance(status, int) and 400 <= status < 500:
                        tally.malformed_4xx += 1
                    else:
                        tally.malformed_other.append(f"{status} {url}")


def run(data_dir: Path, seconds: float, concurrency: int, timeout: float = 2.0, workers: int | None = None,
        expensive_every: int = 25) -> dict:
    """Start `kg serve`, drive it, stop it; return the figures."""
    port = _port()
    env = {**os.environ, "KG_DATA_DIR": str(data_dir)}
    options = ["--workers", str(workers)] if workers else []
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--timeout", str(timeout),
                             *options], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/sparql?query=ASK%7B%7D", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rss_before = _tree_rss_kb(proc.pid)
        tally, peak = Tally(), [rss_before]
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=worker, args=(base, deadline, tally, i, expensive_every)) for i in range(concurrency)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            peak.append(_tree_rss_kb(proc.pid))
            time.sleep(0.25)
        after = httpx.get(base + "/sparql?query=ASK%7B%7D", timeout=10).status_code
    finally:
        proc.terminate()
        proc.wait(30)
    q = sorted(tally.good_latency) or [0.0]
    return {
        "seconds": seconds, "concurrency": concurrency, "query_timeout_s": timeout, "workers": workers,
        "good_ok": tally.good_ok, "good_failed": tally.good_failed,
        "good_per_s": round(tally.good_ok / seconds, 1),
        "good_median_ms": round(statistics.median(q) * 1000, 1), "good_p95_ms": round(q[int(0.95 * (len(q) - 1))] * 1000, 1),
        "expensive_cut": tally.expensive_cut, "expensive_other": tally.expensive_other,
        "expensive_max_s": round(max(tally.expensive_latency, default=0.0), 2),
        "malformed_4xx": tally.malformed_4xx, "malformed_other": tally.malformed_other,
        "rss_before_mb": round(rss_before / 1024), "rss_peak_mb": round(max(peak) / 1024),
        "answering_after": after == 200,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("build"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=None, help="query workers (default: the server's)")
    args = parser.parse_args()
    figures = run(args.data_dir, args.seconds, args.concurrency, args.timeout, args.workers)
    for key, value in figures.items():
        print(f"{key:20} {value if not isinstance(value, list) else len(value)}")


if __name__ == "__main__":
    main()
