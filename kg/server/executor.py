"""Bounded query execution: each SPARQL query runs in a worker process with a deadline and a row cap.

A worker process (not a thread) is used so that a runaway query can be stopped for sure: if a
query is still running at its deadline, its worker is killed and replaced, and the server keeps
answering others. Workers open the store read-only and reopen it when `kg build` swaps in a new one.
Results come back as plain data (SPARQL JSON term dicts or N-Triples text), capped at max_rows.
"""
from __future__ import annotations

import functools
import logging
import multiprocessing as mp
import os
import queue
import re
import select
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import PREFIXES
from ..answers import json_term, term_json  # noqa: F401 (also used by pages, data)


def _gone(worker: "_Worker") -> bool:
    """An idle worker that cannot take a query: its process has ended (its sentinel is readable), its end
    of the pipe is readable although it owes nothing (a worker that exited), or the kernel shows it a
    zombie. A worker killed while idle was seen still alive with an unreadable pipe although /proc showed
    it a zombie (its query thread still exiting; tests/test_endpoint_security.py::
    test_a_worker_killed_while_idle_is_replaced_without_an_error failed 1 run in 3); the send then succeeded
    and the answer's end of file blamed the query (503). One select and one small read: this runs before
    every query."""
    try:
        watched = [worker.process.sentinel] + ([worker.conn.fileno()] if worker.isolation != "unknown" else [])
        if select.select(watched, [], [], 0)[0]:
            return True
    except (OSError, ValueError):  # a closed pipe, or a process never started
        return True
    try:  # a killed worker can be a zombie whose pipes are still open: ask the kernel
        with open(worker.stat_path, "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return True
    except OSError:  # no /proc: what the sentinel said
        return False
    return stat.rpartition(b")")[2].split()[0] in (b"Z", b"X")


class QueryTimeout(Exception):
    """The query ran past its time limit."""


class ServerBusy(Exception):
    """Every worker stayed busy for the whole time limit."""


class QueryFailed(Exception):
    """The engine rejected the query (syntax) or failed while running it."""

    def __init__(self, message: str, syntax: bool = False):
        super().__init__(message)
        self.syntax = syntax


class QueryRefused(Exception):
    """The query names a SERVICE endpoint that is not on the allow-list (or cannot be checked)."""


class QueryIsUpdate(Exception):
    """The text is a SPARQL Update (the engine rejected it as a query; rdflib's update grammar accepts it)."""


class QueryCrashed(Exception):
    """The query crashed the worker running it (e.g. a parser's stack overflow); the worker was replaced."""


class WorkerLost(Exception):
    """The worker stopped for another reason (killed from outside) while running the query; it was replaced."""


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
    media: dict[str, str | None] | None = None  # result kind -> media type: the worker renders the answer's bytes


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
    lane: str = "worker"                     # "worker" (no network), "network" (allow-listed SERVICE lane), or
                                             # "answers" (a canned query page the build computed, kg.answers)
    media: str | None = None                 # set with body: the answer rendered in the worker (rows left empty)
    body: bytes | None = None


# ----------------------------------------------------------------------------- terms

# term_json / json_term: SPARQL 1.1 JSON results terms, shared with kg.answers (imported above)


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
    elif task.union and not dataset_clause(task.query):
        kwargs["use_default_graph_as_union"] = True  # no dataset given: the union of all graphs
    # else: the query's own FROM / FROM NAMED clauses give the dataset (the engine's union option would
    # override them)
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


def render(result: Result, task: Task) -> None:
    """Put the answer's bytes in the media type the task asks for its kind (if any) into the result, and
    drop the rows: the server process then only copies bytes (kg/server/results.py serialize)."""
    media = (task.media or {}).get("graph" if result.kind == "graph" else "solutions")
    if media is None:
        return
    from .results import serialize

    result.body, result.media = serialize(result, media), media
    result.rows, result.ntriples = [], ""


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


# ----------------------------------------------------------------------------- federation (in a worker)

CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE}
WORKER_STACK = 512 * 1024 * 1024  # the worker's query thread: room for deep (but bounded) parses
_REFUSED = ("Federated query is disabled on this endpoint: {} (the server calls no other host unless started "
            "with --allow-service IRI).")


def isolate_network() -> str | None:
    """Move this process into a new, empty network namespace (Linux `unshare(CLONE_NEWNET)`): afterwards
    every connect() fails with ENETUNREACH, so the engine cannot call out whatever the query says.
    Returns None on success, else why it could not be done."""
    if not sys.platform.startswith("linux"):
        return f"network namespaces need Linux (this is {sys.platform})"
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        return f"libc not found ({exc})"
    reason = "unshare is not available"
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):  # root, then an unprivileged user namespace
        if libc.unshare(flags) == 0:
            return None
        reason = f"unshare failed: {os.strerror(ctypes.get_errno())}"
    return reason


def mentions_service(text: str) -> bool:
    """Whether the keyword SERVICE can occur in the query: its letters, in any case, in the text after
    SPARQL's \\u / \\U escape processing. False proves the query has no SERVICE clause (used only to skip
    the second parse where the worker has no network; the parse tree decides everything else)."""
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    return "SERVICE" in expandUnicodeEscapes(text).upper()


_DATASET_UNKNOWN = ("Query refused: the server could not read this query's head (the part before WHERE) with its "
                    "SPARQL 1.1 grammar, so it cannot tell whether the query names its own dataset (FROM / FROM NAMED). "
                    "Give the dataset with the protocol's default-graph-uri / named-graph-uri parameters instead, or "
                    "write the head in SPARQL 1.1.")


def dataset_clause(text: str) -> bool:
    """Whether the query has its own FROM / FROM NAMED clause, decided here in the worker by a parser: absent
    when the keyword cannot occur after SPARQL's escape processing, else from rdflib's parse tree of the whole
    query, or, when rdflib cannot read the whole (oxigraph may: SPARQL 1.2 syntax, LATERAL), of its head alone
    (prologue, query form, dataset clauses: `query_head`). Raises QueryRefused when not even the head parses.
    The choice only sets which default graph the query sees, never what it may reach."""
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery

    expanded = expandUnicodeEscapes(text)
    if "FROM" not in expanded.upper():
        return False
    try:
        return "datasetClause" in parseQuery(text)[1]  # (CompValue.get returns the key itself when absent)
    except Exception:  # noqa: BLE001 - pyparsing or recursion errors: rdflib cannot read the whole query
        pass
    try:
        return len(query_head().parse_string(expanded, parse_all=False)["datasets"]) > 0
    except Exception:  # noqa: BLE001 - the head is outside rdflib's grammar too: say so, do not guess
        raise QueryRefused(_DATASET_UNKNOWN) from None


@functools.lru_cache(maxsize=1)
def query_head():
    """rdflib's SPARQL 1.1 productions for a query's head: prologue, the query form up to its dataset clauses
    (SELECT clause, CONSTRUCT with or without template, ASK, DESCRIBE targets), then every FROM / FROM NAMED
    clause, collected as `datasets`. Parsed with parse_all=False: what follows (the WHERE clause) is not read."""
    from pyparsing import CaselessKeyword, Group, OneOrMore, Optional, ZeroOrMore
    from rdflib.plugins.sparql import parser as grammar

    form = (grammar.SelectClause
            | CaselessKeyword("CONSTRUCT") + Optional(grammar.ConstructTemplate)
            | CaselessKeyword("ASK")
            | CaselessKeyword("DESCRIBE") + (OneOrMore(grammar.VarOrIri) | "*"))
    head = grammar.Prologue + form + Group(ZeroOrMore(grammar.DatasetClause))("datasets")
    head.ignore(grammar.QueryUnit.ignoreExprs[0])  # rdflib's own comment rule: its shared productions get no second one
    return head


class Unparseable(Exception):
    """rdflib's SPARQL parser could not read the query (oxigraph may still accept it)."""


def service_targets(text: str, prefixes: dict[str, str] | None = None) -> list[str | None]:
    """The endpoint of every SERVICE clause anywhere in the query (subqueries, EXISTS, GRAPH, OPTIONAL,
    UNION, MINUS...), from rdflib's parse tree (escapes processed, prefixes and BASE resolved); None for
    `SERVICE ?var`. Raises Unparseable when rdflib cannot parse the query."""
    from rdflib.plugins.sparql import algebra
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    try:
        tree = parseQuery(text)
        prologue = algebra.translatePrologue(tree[0], None, prefixes or {})
    except Exception as exc:  # noqa: BLE001 - pyparsing, recursion, prefix errors: all mean "cannot check"
        raise Unparseable(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    found: list[str | None] = []
    seen: set[int] = set()
    todo: list[Any] = [tree]
    while todo:  # iterative walk: no recursion limit to meet
        node = todo.pop()
        if id(node) in seen or isinstance(node, (str, bytes)):
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                term = node.get("term")
                if isinstance(term, Variable):
                    found.append(None)
                else:
                    try:
                        found.append(str(prologue.absolutize(term)))
                    except Exception:  # noqa: BLE001 - an undeclared prefix: not an allowed IRI
                        found.append(str(term))
            todo.extend(node.values())
        elif isinstance(node, dict):
            todo.extend(node.values())
        elif hasattr(node, "__iter__"):
            todo.extend(list(node))
            if hasattr(node, "values") and callable(node.values):
                todo.extend(node.values())
    return found


def is_update(text: str) -> bool:
    """Whether the text parses as a SPARQL 1.1 Update (rdflib's grammar; nothing is resolved or run).
    Asked in a worker, only of a text the engine rejected as a query, to answer 403 rather than 400."""
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except Exception:  # noqa: BLE001 - pyparsing or recursion errors: not an update it can read
        return False
    return True


def federation_check(task: Task, allowed: tuple[str, ...], isolated: bool, network: bool) -> tuple[str, str] | None:
    """Decide, before the engine sees the query, whether this worker may evaluate it: None (go on) or
    (status, message) with status "refused" (403) or "network" (every SERVICE is allowed: run it in the
    network lane). A worker without network skips the parse when SERVICE cannot occur in the text."""
    if isolated and not network and not mentions_service(task.query):
        return None
    try:
        targets = service_targets(task.query, PREFIXES if task.use_prefixes else None)
    except Unparseable as exc:
        if isolated and not network:
            return None  # the engine has no network here: a SERVICE it finds cannot connect
        return ("refused", _REFUSED.format(
            "the query could not be checked for SERVICE clauses by the server's parser "
            f"({exc}), and {'this lane has network' if network else 'query workers here cannot be cut off from the network'}"))
    if not targets:
        return None
    for target in targets:
        if target is None:
            return ("refused", _REFUSED.format("SERVICE with a variable endpoint is not allowed"))
        if target not in allowed:
            return ("refused", _REFUSED.format(f"SERVICE <{target}> is not allowed"))
    if not network:
        return ("network", "")
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    if expandUnicodeEscapes(task.query).upper().count("SERVICE") != len(targets):
        # In the lane with network, every occurrence of the keyword must be a clause the parse tree
        # shows (a comment or literal holding the word is refused rather than trusted).
        return ("refused", _REFUSED.format("the word SERVICE occurs outside the SERVICE clauses the server checked"))
    return None


def _worker_main(conn, data_dir: str, allowed: tuple[str, ...] = (), network: bool = False) -> None:
    """Worker process: cut itself off from the network (unless it is the allow-listed SERVICE lane),
    report ("ready", None or the reason isolation failed), then serve tasks on a thread with a big stack."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    reason = None if network else isolate_network()  # before any thread starts (unshare needs one thread)
    conn.send(("ready", reason))
    sys.setrecursionlimit(100_000)
    threading.stack_size(WORKER_STACK)
    thread = threading.Thread(target=_serve, args=(conn, data_dir, allowed, reason is None and not network, network))
    thread.start()
    thread.join()


def _serve(conn, data_dir: str, allowed: tuple[str, ...], isolated: bool, network: bool) -> None:
    """Worker loop: receive a Task, send back a Result or an error tuple."""
    from ..store import CURRENT, current_path

    store, opened, seen = None, None, None
    link_file = os.path.join(data_dir, CURRENT)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            decision = federation_check(task, allowed, isolated, network)
            if decision is not None:
                conn.send(decision)
                continue
            try:  # one readlink per query; the store is reopened when `kg build` swaps the link
                link = os.readlink(link_file)
            except OSError:
                link = None
            if link is None or link != seen:
                path = current_path(Path(data_dir))
                if path != opened:
                    store, opened = ox.Store.read_only(str(path)), path
                seen = link
            result = execute(store, task)
            result.lane = "network" if network else "worker"
            render(result, task)
            conn.send(("ok", result))
        except QueryTimeout:
            conn.send(("timeout", None))
        except QueryRefused as exc:  # the dataset of a query whose head no grammar here reads (dataset_clause)
            conn.send(("refused", str(exc)))
        except QueryFailed as exc:
            if exc.syntax and is_update(task.query):
                conn.send(("update", None))
            elif not exc.syntax and isolated and mentions_service(task.query):
                conn.send(("refused", _REFUSED.format(f"the query failed in a worker without network access ({exc})")))
            else:
                conn.send(("syntax" if exc.syntax else "failed", str(exc)))
        except Exception as exc:  # noqa: BLE001 - reported to the client, the worker lives on
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, ctx, data_dir: Path, allowed: tuple[str, ...] = (), network: bool = False):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, str(data_dir), allowed, network), daemon=True,
                                   name="kg-query-worker")
        self.process.start()
        child.close()
        self.stat_path = f"/proc/{self.process.pid}/stat"
        self.isolation: str | None = "unknown"  # None once the worker says it has no network
        self._closing = threading.Lock()  # the pool's shutdown and a settling thread may both close the pipe

    def _close_conn(self) -> None:
        """Close the pipe once: two threads closing it together would close its fd twice (EBADF, or worse,
        another file that got the same number in between)."""
        with self._closing:
            self.conn.close()

    def ready(self, wait: float = 60.0) -> str | None:
        """Read the worker's start-up message once (None: it has no network; else why not)."""
        if self.isolation == "unknown":
            if not self.conn.poll(wait):
                raise EOFError("the worker did not start")
            _status, self.isolation = self.conn.recv()
        return self.isolation

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(2)
        finally:
            self._close_conn()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self._close_conn()


log = logging.getLogger("kg.serve")


class QueryPool:
    """A fixed number of worker processes; `run` blocks (call it from a thread) for at most `timeout` s.

    Workers have no network (kg/server/executor.py isolate_network). With an allow-list, a query whose
    every SERVICE endpoint is on it is passed on to a second, lazily started pool of one worker that
    keeps the network and checks the query again before running it."""

    RECENT_TTL = 60.0  # seconds a query that ran past its limit or crashed its worker is refused at once if repeated
    RECENT_TIMEOUT_TTL = RECENT_TTL
    MIN_QUEUE_WAIT = 10.0  # seconds a query may wait for a free worker (its own time limit starts after)

    def __init__(self, data_dir: Path, size: int = 2, timeout: float = 30.0, max_rows: int = 10_000,
                 allow_service: tuple[str, ...] = (), network: bool = False):
        self.data_dir, self.timeout, self.max_rows = Path(data_dir), timeout, max_rows
        self.allow_service, self.network = tuple(allow_service), network
        self._recent: dict[tuple, tuple[float, type]] = {}
        self._ctx = mp.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # the worker used last (warm caches) goes first
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self._waiting = 0  # callers blocked in _take
        self._network_pool: QueryPool | None = None
        self.restarts = 0
        for _ in range(max(1, size)):
            self._idle.put(self._spawn())
        self.isolation: str | None = None
        if not network:  # say once, at start, whether queries run cut off from the network
            first = self._all[0]
            try:
                self.isolation = first.ready()
            except (EOFError, OSError) as exc:
                self.isolation = f"the first worker did not start ({exc})"
            if self.isolation is not None:
                log.warning("WARNING: query workers cannot be cut off from the network (%s); SERVICE is refused by "
                            "parsing alone, and queries the server's parser cannot read are refused", self.isolation)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.data_dir, self.allow_service, self.network)
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

    def _recently(self, key: tuple) -> type | None:
        """QueryTimeout or QueryCrashed if this query did that moments ago."""
        now = time.monotonic()
        with self._lock:
            for k in [k for k, (until, _) in self._recent.items() if until < now]:
                del self._recent[k]
            return self._recent[key][1] if key in self._recent else None

    def _remember(self, key: tuple, kind: type) -> None:
        with self._lock:
            self._recent[key] = (time.monotonic() + self.RECENT_TTL, kind)

    def _admit(self, task: Task) -> tuple:
        """Clamp the task to the pool's limits; refuse at once a query that just timed out or crashed a
        worker. Returns the query's key for `_remember`."""
        if self._closed:
            raise ServerBusy("the server is shutting down")
        task.timeout = min(task.timeout, self.timeout)
        task.max_rows = min(task.max_rows, self.max_rows)
        key = self._key(task)
        recent = self._recently(key)
        if recent is QueryTimeout:
            raise QueryTimeout()  # the same query ran past the limit moments ago: do not let it hold a worker again
        if recent is QueryCrashed:
            raise QueryCrashed("the same query crashed a query worker moments ago")
        return key

    def _take(self, task: Task) -> "_Worker":
        """An idle worker, waiting up to the time limit (at least MIN_QUEUE_WAIT) for one."""
        wait = max(self.MIN_QUEUE_WAIT, task.timeout)
        with self._lock:
            self._waiting += 1
        try:
            return self._idle.get(timeout=wait)
        except queue.Empty:
            raise ServerBusy(f"every query worker stayed busy for {wait:g} s; try again later") from None
        finally:
            with self._lock:
                self._waiting -= 1

    def run(self, task: Task) -> Result:
        """Wait up to the time limit for a free worker, then give the query its full time limit."""
        key = self._admit(task)
        worker = self._take(task)
        try:
            return self._run_on(worker, task)
        except (QueryTimeout, QueryCrashed) as exc:
            self._remember(key, type(exc))
            raise

    async def run_async(self, task: Task) -> Result:
        """`run` for the event loop, without a thread per query: the query is written to an idle worker's
        pipe and its answer awaited with a reader on that pipe and a timer at the deadline (the worker is
        killed and replaced then, as in `run`). Only the rare blocking steps go to a thread: waiting for a
        worker when all are busy, replacing one, the SERVICE lane."""
        from anyio import to_thread

        key = self._admit(task)
        worker = None
        if not self._waiting:  # first come, first served: no barging past callers already waiting
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                pass
        if worker is None:
            worker = await to_thread.run_sync(self._take, task)
        try:
            status, payload = await self._exchange(worker, task)
        except (QueryTimeout, QueryCrashed) as exc:
            self._remember(key, type(exc))
            raise
        if status == "network":
            return await to_thread.run_sync(self._network().run, task)
        return self._answer(status, payload)

    async def _exchange(self, worker: "_Worker", task: Task) -> tuple[str, Any]:
        """Hand `task` to `worker` and await its (status, payload); the worker goes back to the idle
        queue (or its replacement does) whatever happens, as in `_run_on`."""
        import asyncio

        from anyio import to_thread

        loop = asyncio.get_running_loop()
        owed = returned = False  # owed: the worker has the query and its answer is not read yet
        try:
            if _gone(worker):  # died while idle (killed from outside): start afresh, no blame
                worker = await to_thread.run_sync(self._replace, worker)
            if worker.isolation == "unknown":
                await to_thread.run_sync(worker.ready)
            try:
                worker.conn.send(task)
            except OSError:  # the worker was dying while idle: the query never reached it, so no blame
                worker = await to_thread.run_sync(self._replace, worker)
                await to_thread.run_sync(worker.ready)
                worker.conn.send(task)
            owed = True
            # Grace of 1 s over the in-worker deadline before the worker is killed.
            if not await _readable(loop, worker.conn.fileno(), task.timeout + 1.0):
                owed = False
                worker = await to_thread.run_sync(self._replace, worker)
                raise QueryTimeout()
            answer = worker.conn.recv()  # the worker writes its whole answer at once: no wait beyond copying
            owed = False
        except (EOFError, OSError):
            owed = False
            worker, exc = await to_thread.run_sync(self._lost, worker)
            raise exc from None
        except asyncio.CancelledError:
            if owed:
                # Cancelled while the worker owes an answer: a thread collects it (or replaces the worker
                # at the deadline) before the worker is idle again, so no later query reads it.
                returned = True
                threading.Thread(target=self._settle, args=(worker, task), daemon=True).start()
            raise
        finally:
            if not returned:
                self._idle.put(worker)
        return answer

    def _settle(self, worker: "_Worker", task: Task) -> None:
        """Wait out a worker whose caller went away: read and drop its answer, or replace it."""
        try:
            answered = worker.conn.poll(task.timeout + 1.0)
            if answered:
                worker.conn.recv()
        except (EOFError, OSError):  # also: the pool closed the pipe while shutting down
            answered = False
        if self._closed:  # shut down meanwhile: no replacement, and this worker ends too
            worker.kill()
            return
        self._idle.put(worker if answered else self._replace(worker))

    def _lost(self, worker: "_Worker") -> tuple["_Worker", Exception]:
        """The worker stopped while running a query: its replacement, and the error for the client."""
        worker.process.join(2)
        code = worker.process.exitcode
        pid = worker.process.pid
        worker = self._replace(worker)
        if code is not None and code < 0 and -code in CRASH_SIGNALS:
            log.warning("query worker %s crashed (%s) on a query; replaced", pid, signal.Signals(-code).name)
            return worker, QueryCrashed(f"it crashed the query worker ({signal.Signals(-code).name}); the worker "
                                        "was replaced")
        log.warning("query worker %s stopped (exit %s) while running a query; replaced", pid, code)
        return worker, WorkerLost("the query worker stopped while running the query; it was replaced, try again")

    def _run_on(self, worker: "_Worker", task: Task) -> Result:
        try:
            if _gone(worker):  # died while idle (killed from outside): start afresh, no blame
                worker = self._replace(worker)
            worker.ready()
            try:
                worker.conn.send(task)
            except OSError:  # the worker was dying while idle: the query never reached it, so no blame
                worker = self._replace(worker)
                worker.ready()
                worker.conn.send(task)
            # Grace of 1 s over the in-worker deadline before the worker is killed.
            if not worker.conn.poll(task.timeout + 1.0):
                worker = self._replace(worker)
                raise QueryTimeout()
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            worker, exc = self._lost(worker)
            raise exc from None
        finally:
            self._idle.put(worker)
        if status == "network":
            return self._network().run(task)
        return self._answer(status, payload)

    @staticmethod
    def _answer(status: str, payload: Any) -> Result:
        """The worker's (status, payload) as a Result or the matching exception."""
        if status == "ok":
            return payload
        if status == "timeout":
            raise QueryTimeout()
        if status == "refused":
            raise QueryRefused(payload)
        if status == "update":
            raise QueryIsUpdate()
        raise QueryFailed(payload, syntax=(status == "syntax"))

    def _network(self) -> "QueryPool":
        """The allow-listed SERVICE lane: one worker with network, started on first use."""
        if not self.allow_service or self.network:
            raise QueryRefused(_REFUSED.format("no SERVICE endpoint is allowed"))
        with self._lock:
            if self._network_pool is None:
                self._network_pool = QueryPool(self.data_dir, 1, self.timeout, self.max_rows, self.allow_service,
                                               network=True)
            return self._network_pool

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), []
            network, self._network_pool = self._network_pool, None
        for w in workers:
            w.stop()
        if network is not None:
            network.close()


async def _readable(loop, fd: int, timeout: float) -> bool:
    """Whether `fd` becomes readable within `timeout` seconds (a reader callback and a timer on `loop`).
    The fd is left blocking, as the Connection that owns it expects (uvloop's poll handle makes it
    non-blocking, and a Connection then fails mid-message with EAGAIN)."""
    done = loop.create_future()

    def settle(value: bool) -> None:
        if not done.done():
            done.set_result(value)

    loop.add_reader(fd, settle, True)
    timer = loop.call_later(timeout, settle, False)
    try:
        return await done
    finally:
        timer.cancel()
        loop.remove_reader(fd)
        os.set_blocking(fd, True)


def default_workers() -> int:
    """More workers than cores: a runaway query then shares the CPU with cheap ones (the OS time-slices)
    instead of making them queue behind it. Each worker holds a read-only store handle (~50-70 MB)."""
    return max(4, min(8, 2 * (os.cpu_count() or 2) + 2))
