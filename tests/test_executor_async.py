"""QueryPool.run_async (the /sparql path without a thread per query) on uvloop, the server's loop: its
answers equal the blocking `run`'s, the pipes stay usable by `run` afterwards, a cancelled caller
leaves no answer behind for the next query, and a query past its limit still has its worker killed."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import uvloop

from kg.server.executor import QueryPool, QueryTimeout, Task

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# over 64 KiB of answer: a pipe left non-blocking fails such a read half-way with EAGAIN
BIG = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 3000"


@pytest.fixture
def pool(shipped_store: Path):
    p = QueryPool(shipped_store, size=2, timeout=10.0, max_rows=5000)
    yield p
    p.close()


def test_async_answers_equal_blocking_ones_and_pipes_stay_blocking(pool: QueryPool):
    async def both():
        return await asyncio.gather(pool.run_async(Task(BIG)), pool.run_async(Task(BIG)))

    answers = uvloop.run(both())
    blocking = [pool.run(Task(BIG)) for _ in range(2)]  # the same two workers, now read by `run`
    assert len(blocking[0].rows) == 3000 and all(a.rows == blocking[0].rows for a in [*answers, *blocking])
    assert all(os.get_blocking(w.conn.fileno()) for w in list(pool._all))


def test_a_cancelled_caller_leaves_no_answer_for_the_next_query(pool: QueryPool):
    async def cancel_then_ask():
        started = asyncio.ensure_future(pool.run_async(Task(SLOW, timeout=1.0)))
        await asyncio.sleep(0.3)  # the query runs in a worker, which owes its answer
        started.cancel()
        await asyncio.sleep(0)
        assert pool._idle.qsize() == 1  # the worker that owes an answer is not handed to the next query
        answers = []
        for word in ("second", "third", "fourth"):
            answers.append(await pool.run_async(Task(f"SELECT ?x WHERE {{ VALUES ?x {{ '{word}' }} }}")))
        return answers

    answers = uvloop.run(cancel_then_ask())
    assert [a.rows[0][0]["value"] for a in answers] == ["second", "third", "fourth"]


def test_a_query_past_its_limit_is_killed_and_the_pool_answers_after(pool: QueryPool):
    async def slow_then_fast():
        with pytest.raises(QueryTimeout):
            await pool.run_async(Task(SLOW, timeout=1.0))
        return [await pool.run_async(Task("ASK {}")) for _ in range(3)]

    restarts = pool.restarts
    answers = uvloop.run(slow_then_fast())
    assert pool.restarts == restarts + 1 and [a.boolean for a in answers] == [True, True, True]


@pytest.mark.parametrize("wait", [0.0, 1.2])  # close while the settling thread polls, and as its answer arrives
def test_shutting_down_while_a_cancelled_query_settles_closes_each_pipe_once_and_leaves_no_worker(shipped_store, wait):
    import multiprocessing as mp
    import threading
    import time

    before = {p.pid for p in mp.active_children()}
    pool = QueryPool(shipped_store, size=2, timeout=10.0, max_rows=5000)
    errors: list[BaseException] = []
    hook, threading.excepthook = threading.excepthook, lambda args: errors.append(args.exc_value)
    try:
        async def cancel():
            started = asyncio.ensure_future(pool.run_async(Task(SLOW, timeout=1.0)))
            await asyncio.sleep(0.3)
            started.cancel()
            await asyncio.sleep(0)

        uvloop.run(cancel())
        settling = [t for t in threading.enumerate() if "_settle" in t.name]
        assert settling  # the worker owes its answer: a thread waits it out
        time.sleep(wait)
        pool.close()  # no EBADF from closing a pipe the settling thread closes too
        for t in settling:
            t.join(10)
        assert errors == []
        deadline = time.monotonic() + 10
        while (left := [p for p in mp.active_children() if p.pid not in before]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == []  # nor a replacement started after the shutdown
    finally:
        threading.excepthook = hook
