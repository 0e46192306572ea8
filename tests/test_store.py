"""Store step: a build lands whole or not at all; the previous store stays readable."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store import StoreMissing, current_path, open_store, write_new

Q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/b"), ox.Literal("1"), ox.NamedNode("http://x/g"))


def test_open_before_any_build_says_what_to_do(tmp_path: Path):
    with pytest.raises(StoreMissing, match="kg build"):
        open_store(tmp_path)


def test_new_store_is_swapped_in_and_old_ones_pruned(tmp_path: Path):
    first = write_new(tmp_path, lambda s: s.add(Q))
    second = write_new(tmp_path, lambda s: s.extend([Q, ox.Quad(Q.subject, Q.predicate, ox.Literal("2"), Q.graph_name)]))
    assert current_path(tmp_path) == second
    assert len(open_store(tmp_path)) == 2
    third = write_new(tmp_path, lambda s: s.add(Q))
    assert sorted(p.name for p in tmp_path.glob("store-*")) == sorted([second.name, third.name])
    assert not first.exists()


def test_failure_while_filling_leaves_the_previous_store(tmp_path: Path):
    good = write_new(tmp_path, lambda s: s.add(Q))

    def fail(store: ox.Store) -> None:
        store.add(ox.Quad(Q.subject, Q.predicate, ox.Literal("half"), Q.graph_name))
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_new(tmp_path, fail)
    assert current_path(tmp_path) == good
    assert [str(q.object.value) for q in open_store(tmp_path)] == ["1"]
    assert sorted(p.name for p in tmp_path.glob("store-*")) == [good.name]


def test_orphan_of_a_killed_build_is_removed_by_the_next_build(tmp_path: Path):
    good = write_new(tmp_path, lambda s: s.add(Q))
    orphan = tmp_path / "store-29990101T000000-1"
    ox.Store(str(orphan)).add(Q)  # as if a build died before the swap
    newer = write_new(tmp_path, lambda s: s.add(Q))
    assert not orphan.exists() and current_path(tmp_path) == newer and good.exists()
