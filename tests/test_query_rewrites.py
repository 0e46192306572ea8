"""Canned queries rewritten for speed (issue 16) give exactly the rows of their former text, in the same
order: on the shipped graph and on a generated one (bench/generate.py), every row and pages cut at
several places. The former texts are kept in tests/fixtures/queries-before-16/."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg import queries

from conftest import FIXTURES, ROOT, built

BEFORE = FIXTURES / "queries-before-16"
REWRITTEN = ["links-law-relations"]  # a name here once queries/NAME.rq is rewritten


def answer(store, query: queries.CannedQuery, limit: int | None = None, offset: int = 0) -> tuple[list[str], list[tuple]]:
    result = queries.run(store, query, {}, limit=limit, offset=offset)
    variables = [v.value for v in result.variables]
    return variables, [tuple(solution[v] for v in variables) for solution in result]


def assert_same(store, name: str) -> int:
    """The rewritten query and its former text agree on every row and on pages; returns the row count."""
    new, old = queries.resolve(name, ROOT), queries.parse_header(BEFORE / f"{name}.rq")
    assert new.text != old.text and new.params == old.params and new.page == old.page
    every = answer(store, new)
    assert every == answer(store, old)
    for limit, offset in [(new.page, 0), (new.page, 37), (5, 0), (3, len(every[1]) // 2), (10, max(0, len(every[1]) - 4))]:
        page = answer(store, new, limit, offset)
        assert page == answer(store, old, limit, offset)
        assert page[1] == every[1][offset:offset + limit]
    return len(every[1])


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory):
    """A synthetic graph of about 10k triples (the benchmark's generator, seed 42) built by `kg build`."""
    from bench.generate import generate
    from kg.store import open_store

    project = tmp_path_factory.mktemp("generated") / "project"
    generate(10_000, project, seed=42)
    _, data_dir = built(project, project.parent / "store")
    return open_store(data_dir)


@pytest.mark.parametrize("name", REWRITTEN)
def test_same_rows_as_before_on_the_shipped_graph(store, name: str):
    assert_same(store, name)


@pytest.mark.parametrize("name", REWRITTEN)
def test_same_rows_as_before_on_a_generated_graph(generated_store, name: str):
    assert assert_same(generated_store, name) > 0


def test_every_former_text_is_kept_for_a_rewritten_query():
    assert sorted(p.stem for p in BEFORE.glob("*.rq")) == sorted(REWRITTEN)
