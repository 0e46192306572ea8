"""A short bounded load on the real server (bench/hostile_load.py): at concurrency 16 with a mix of canned,
expensive and malformed requests, no good request fails, expensive ones are cut at their limit, malformed
ones get a 4xx, memory stays bounded and the server still answers afterwards."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.hostile_load import run
from kg.server.executor import QueryPool


@pytest.mark.slow
def test_mixed_load_at_concurrency_16(shipped_store: Path):
    figures = run(shipped_store, seconds=12, concurrency=16, timeout=2.0)
    assert figures["good_failed"] == [] and figures["good_ok"] > 50
    assert figures["expensive_cut"] > 0 and figures["expensive_other"] == []
    # cut at the 2 s limit: the client waits at most the queue wait + the limit + the 1 s kill grace
    assert figures["expensive_max_s"] < QueryPool.MIN_QUEUE_WAIT + 2.0 + 1.0 + 1.0
    assert figures["malformed_4xx"] > 0 and figures["malformed_other"] == []
    assert figures["rss_peak_mb"] < 2048
    assert figures["answering_after"]
