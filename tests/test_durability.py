"""Durability: a build killed at any point (kill -9, including during the store write) leaves the
previous store readable and unchanged; export followed by a fresh build gives an isomorphic graph."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from conftest import KG, ROOT, run_kg
import shutil
from kg.export import quads
from kg.store import current_path, open_store


def _frozen_project(dest: Path) -> Path:
    """A copy of the whole project's sources, so that edits to data/ elsewhere cannot change the graph."""
    for top in ("ontology", "shapes", "queries", "data"):
        shutil.copytree(ROOT / top, dest / top)
    return dest


def _dataset(store: ox.Store) -> rdflib.Dataset:
    ds = rdflib.Dataset()
    ds.parse(data=ox.serialize(list(quads(store)), format=ox.RdfFormat.N_QUADS).decode(), format="nquads")
    return ds


def assert_isomorphic(a: ox.Store, b: ox.Store) -> None:
    original, again = _dataset(a), _dataset(b)
    assert len(original) == len(again)
    for graph in original.graphs():
        assert isomorphic(graph, again.graph(graph.identifier)), graph.identifier


def _snapshot(data_dir: Path) -> set:
    store = open_store(data_dir)
    try:
        return set(store)
    finally:
        del store


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.1, 0.3])
def test_kill_9_during_a_build_loses_nothing(tmp_path: Path, delay: float):
    project = _frozen_project(tmp_path / "project")
    data_dir = tmp_path / "store"
    assert run_kg("build", root=project, data_dir=data_dir).returncode == 0
    before_path, before = current_path(data_dir), _snapshot(data_dir)

    env = {**os.environ, "KG_ROOT": str(project), "KG_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen([*KG, "build"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p != before_path for p in data_dir.glob("store-*")):
        time.sleep(0.01)  # wait until the new store directory exists: the kill lands during the write
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    previous = ox.Store(str(tmp_path / "previous"))
    previous.extend(before)
    if current_path(data_dir) == before_path:  # killed before the swap: the old store, untouched
        assert _snapshot(data_dir) == before
    else:  # killed after the swap: the new store is complete
        assert_isomorphic(previous, open_store(data_dir))
    # the next build cleans up what the killed one left and lands whole, with the same graph
    before_path = current_path(data_dir)
    assert run_kg("build", root=project, data_dir=data_dir).returncode == 0
    assert current_path(data_dir) != before_path
    assert sorted(p.name for p in data_dir.glob("store-*")) == sorted([before_path.name, current_path(data_dir).name])
    assert_isomorphic(previous, open_store(data_dir))


def test_export_then_fresh_build_from_the_export_is_isomorphic(store, tmp_path: Path):
    dump = tmp_path / "kg.nq"
    with dump.open("wb") as handle:
        ox.serialize(list(quads(store)), handle, format=ox.RdfFormat.N_QUADS)
    # a project whose only source is the export (ontology graphs included in it)
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "ontology").mkdir()
    for top in ("shapes", "queries"):
        shutil.copytree(ROOT / top, project / top)
    (project / "data" / "export.nq").write_bytes(dump.read_bytes())
    data_dir = tmp_path / "rebuilt"
    result = run_kg("build", root=project, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert_isomorphic(store, open_store(data_dir))


def test_a_second_concurrent_build_is_refused_in_one_line(mini_project: Path, tmp_path: Path):
    from kg.store import build_lock

    data_dir = tmp_path / "store"
    with build_lock(data_dir):  # this test process is "the build that is running"
        result = run_kg("build", root=mini_project, data_dir=data_dir)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: another kg build is running (pid {os.getpid()}) on {data_dir}"
    assert not (data_dir / "current").exists()
    assert run_kg("build", root=mini_project, data_dir=data_dir).returncode == 0  # the lock went with its holder


# The real `kg build` in a child process, with an OSError(ENOSPC) injected into the store writer.
DISK_FULL = """
import errno, os, sys
import kg.pipeline, kg.store
def full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
if sys.argv[1] == "fill":
    kg.pipeline.materialise = full  # after the quads were written into the new store
else:
    kg.store._write_durably = full  # the build's record, written last before the swap
from kg.cli import main
main(["build"], prog_name="kg")
"""


@pytest.mark.parametrize("where", ["fill", "manifest"])
def test_disk_full_during_a_build_is_one_line_and_keeps_the_previous_store(mini_project: Path, tmp_path: Path, where: str):
    data_dir = tmp_path / "store"
    assert run_kg("build", root=mini_project, data_dir=data_dir).returncode == 0
    before_path, before = current_path(data_dir), _snapshot(data_dir)
    (mini_project / "data" / "extra.ttl").write_text("<http://example.org/a> <http://example.org/p> \"new\" .\n")
    env = {**os.environ, "KG_ROOT": str(mini_project), "KG_DATA_DIR": str(data_dir)}
    result = subprocess.run([sys.executable, "-c", DISK_FULL, where], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"Error: cannot write the new store in {data_dir}: No space left on device",
                                          "Nothing was written; the previous store is unchanged."]
    assert current_path(data_dir) == before_path and _snapshot(data_dir) == before
    assert [p.name for p in data_dir.glob("store-*")] == [before_path.name]  # the half-written store was removed
