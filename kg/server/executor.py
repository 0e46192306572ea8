"""Bounded query execution: each SPARQL query runs in a worker process with a deadline and a row cap.

A worker process (not a thread) is used so that a runaway query can be stopped for sure: if a
query is still running at its deadline, its worker is killed and replaced, and the server keeps
answering others. Workers open the store read-only and reopen it when `kg build` swaps in a new one.
Results come back as plain data (SPARQL JSON term dicts or N-Triples text), capped at max_rows.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import PREFIXES


class QueryTimeout(Exception):
    """The query ran past its time limit."""


class ServerBusy(Exception):
    """Every worker stayed busy for the whole time limit."""


class QueryFailed(Exception):
    """The engine rejected the query (syntax) or failed while running it."""

    def __init__(self, message: str, syntax: bool = False):
        super().__init__(message)
        self.syntax = syntax


@dataclass
class Task:
    query: str
    default_graphs: list[str] | None = None   # protocol default-graph-uri values
    named_graphs: list[str] | None = None     # protocol named-graph-uri values
    substitutions: dict[str, dict] = field(default_factory=dict)  # variable -> SPARQL JSON term
    use_prefixes: bool = False                # let canned queries use the project prefixes undeclared
    union: bool = True                        # no dataset given: default graph = union of all graphs
    base_iri: str | None = None               # relative IRIs in the query resolve against it (the endpoint's URL)
    max_rows: int = 10_000
    timeout: float = 30.0


@dataclass
class Result:
    kind: str                                # "boolean" | "solutions" | "graph"
    boolean: bool | None = None
    variables: list[str] = field(default_factory=list)
    rows: list[list[dict | None]] = field(default_factory=list)  # SPARQL JSON terms
    ntriples: str = ""
    count: int = 0
    truncated: bool = False
    seconds: float = 0.0
    lane: str = "worker"                     # "worker" process, or "in-process" (one triple pattern)


# ----------------------------------------------------------------------------- terms

def term_json(term: Any) -> dict | None:
    """A pyoxigraph term as a SPARQL 1.1 JSON results term."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": term_json(term.subject), "predicate": term_json(term.predicate),
                                            "object": term_json(term.object)}}
    return {"type": "literal", "value": str(term)}


def json_term(d: dict) -> Any:
    """The inverse of term_json (used for parameter substitutions)."""
    if d["type"] == "uri":
        return ox.NamedNode(d["value"])
    if d["type"] == "bnode":
        return ox.BlankNode(d["value"])
    if "xml:lang" in d:
        return ox.Literal(d["value"], language=d["xml:lang"])
    if "datatype" in d:
        return ox.Literal(d["value"], datatype=ox.NamedNode(d["datatype"]))
    return ox.Literal(d["value"])


def graph_arg(iri: str):
    return ox.DefaultGraph() if iri == "" else ox.NamedNode(iri)


# ----------------------------------------------------------------------------- execution (in a worker)

def execute(store: ox.Store, task: Task) -> Result:
    """Run one query with the protocol's dataset rules and the row cap; stops at the deadline."""
    started = time.monotonic()
    deadline = started + task.timeout
    kwargs: dict[str, Any] = {}
    if task.default_graphs or task.named_graphs:
        # The protocol's dataset: default-graph-uri gives the default graph (their merge), named-graph-uri
        # the graphs GRAPH may visit. If only named graphs are given the default graph is empty.
        kwargs["default_graph"] = [ox.NamedNode(g) for g in task.default_graphs or []] or [ox.NamedNode("urn:x-kg:empty")]
        if task.named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in task.named_graphs]
        else:
            kwargs["named_graphs"] = []
    elif task.union:
        kwargs["use_default_graph_as_union"] = True  # no dataset given: the union of all graphs
    # else: the query's own FROM / FROM NAMED clauses give the dataset
    if task.substitutions:
        kwargs["substitutions"] = {ox.Variable(k): json_term(v) for k, v in task.substitutions.items()}
    if task.use_prefixes:
        kwargs["prefixes"] = PREFIXES
    if task.base_iri:
        kwargs["base_iri"] = task.base_iri
    try:
        answer = query_store(store, task.query, **kwargs)
    except SyntaxError as exc:
        raise QueryFailed(str(exc.msg if hasattr(exc, "msg") else exc), syntax=True) from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryFailed(str(exc)) from None
    try:
        if isinstance(answer, ox.QueryBoolean):
            return Result("boolean", boolean=bool(answer), count=1, seconds=time.monotonic() - started)
        if isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]
            rows = []
            for i, solution in enumerate(answer):
                if i >= task.max_rows:
                    return Result("solutions", variables=variables, rows=rows, count=len(rows), truncated=True,
                                  seconds=time.monotonic() - started)
                rows.append([term_json(solution[v]) for v in variables])
                if i % 64 == 0 and time.monotonic() > deadline:
                    raise QueryTimeout()
            return Result("solutions", variables=variables, rows=rows, count=len(rows), seconds=time.monotonic() - started)
        triples, truncated = [], False
        for i, triple in enumerate(answer):
            if i >= task.max_rows:
                truncated = True
                break
            triples.append(triple)
            if i % 64 == 0 and time.monotonic() > deadline:
                raise QueryTimeout()
        text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode() if triples else ""
        return Result("graph", ntriples=text, count=len(triples), truncated=truncated, seconds=time.monotonic() - started)
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryFailed(str(exc)) from None


_UNKNOWN_FUNCTION = re.compile(r"^The custom function <([^<>]*)> is not supported$")
MAX_UNKNOWN_FUNCTIONS = 32


def query_store(store: ox.Store, query: str, **kwargs: Any):
    """`store.query`, with a call to an extension function the engine does not know evaluating to an
    error (SPARQL 1.1 section 17.6: the expression's value is unbound, a FILTER on it is false) rather
    than failing the query. The engine names the unknown function (after its own parse and escape
    processing) when it plans the query; each one is registered as returning no value and the query
    is planned again, for at most MAX_UNKNOWN_FUNCTIONS functions."""
    unknown: dict[ox.NamedNode, Any] = {}
    while True:
        try:
            return store.query(query, custom_functions=unknown or None, **kwargs)
        except RuntimeError as exc:
            m = _UNKNOWN_FUNCTION.match(str(exc))
            if not m or len(unknown) >= MAX_UNKNOWN_FUNCTIONS or ox.NamedNode(m.group(1)) in unknown:
                raise
            unknown[ox.NamedNode(m.group(1))] = _no_value


def _no_value(*_args: Any) -> None:
    """An unknown extension function: no value (an expression error, per SPARQL)."""
    return None


def _worker_main(conn, data_dir: str) -> None:
    """Worker process loop: receive a Task, send back a Result or an error tuple."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from ..store import current_path

    store, opened = None, None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            path = current_path(Path(data_dir))
            if path != opened:
                store, opened = ox.Store.read_only(str(path)), path
            conn.send(("ok", execute(store, task)))
        except QueryTimeout:
            conn.send(("timeout", None))
        except QueryFailed as exc:
            conn.send(("syntax" if exc.syntax else "failed", str(exc)))
        except Exception as exc:  # noqa: BLE001 - reported to the client, the worker lives on
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, ctx, data_dir: Path):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, str(data_dir)), daemon=True,
                                   name="kg-query-worker")
        self.process.start()
        child.close()

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(2)
        finally:
            self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.conn.close()


class QueryPool:
    """A fixed number of worker processes; `run` blocks (call it from a thread) for at most `timeout` s."""

    RECENT_TIMEOUT_TTL = 60.0  # seconds a query that ran past its limit is refused at once if repeated
    MIN_QUEUE_WAIT = 10.0  # seconds a query may wait for a free worker (its own time limit starts after)

    def __init__(self, data_dir: Path, size: int = 2, timeout: float = 30.0, max_rows: int = 10_000):
        self.data_dir, self.timeout, self.max_rows = Path(data_dir), timeout, max_rows
        self._recent_timeouts: dict[tuple, float] = {}
        self._ctx = mp.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(max(1, size)):
            self._idle.put(self._spawn())
        self.restarts = 0

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.data_dir)
        with self._lock:
            self._all.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> _Worker:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.kill()
        self.restarts += 1
        return self._spawn()

    @staticmethod
    def _key(task: Task) -> tuple:
        return (" ".join(task.query.split()), tuple(task.default_graphs or ()), tuple(task.named_graphs or ()),
                tuple(sorted((k, str(v)) for k, v in task.substitutions.items())), task.union)

    def _timed_out_recently(self, key: tuple) -> bool:
        now = time.monotonic()
        with self._lock:
            for k in [k for k, until in self._recent_timeouts.items() if until < now]:
                del self._recent_timeouts[k]
            return key in self._recent_timeouts

    def _remember_timeout(self, key: tuple) -> None:
        with self._lock:
            self._recent_timeouts[key] = time.monotonic() + self.RECENT_TIMEOUT_TTL

    def run(self, task: Task) -> Result:
        """Wait up to the time limit for a free worker, then give the query its full time limit."""
        if self._closed:
            raise ServerBusy("the server is shutting down")
        task.timeout = min(task.timeout, self.timeout)
        task.max_rows = min(task.max_rows, self.max_rows)
        key = self._key(task)
        if self._timed_out_recently(key):
            raise QueryTimeout()  # the same query ran past the limit moments ago: do not let it hold a worker again
        wait = max(self.MIN_QUEUE_WAIT, task.timeout)
        try:
            worker = self._idle.get(timeout=wait)
        except queue.Empty:
            raise ServerBusy(f"every query worker stayed busy for {wait:g} s; try again later") from None
        try:
            return self._run_on(worker, task)
        except QueryTimeout:
            self._remember_timeout(key)
            raise

    def _run_on(self, worker: "_Worker", task: Task) -> Result:
        try:
            worker.conn.send(task)
            # Grace of 1 s over the in-worker deadline before the worker is killed.
            if not worker.conn.poll(task.timeout + 1.0):
                worker = self._replace(worker)
                raise QueryTimeout()
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            worker = self._replace(worker)
            raise QueryFailed("the query worker died while running the query") from None
        finally:
            self._idle.put(worker)
        if status == "ok":
            return payload
        if status == "timeout":
            raise QueryTimeout()
        raise QueryFailed(payload, syntax=(status == "syntax"))

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), []
        for w in workers:
            w.stop()


def default_workers() -> int:
    """More workers than cores: a runaway query then shares the CPU with cheap ones (the OS time-slices)
    instead of making them queue behind it. Each worker holds a read-only store handle (~50-70 MB)."""
    return max(4, min(8, 2 * (os.cpu_count() or 2) + 2))
