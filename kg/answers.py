"""Answers of the canned queries, computed when a store is built, so that a page of a listing is a range
read instead of a sort of every row.

The store never changes once built (a rebuild writes a new one), so the answer of each canned SELECT
query with its default parameters is computed once, at the end of `kg build`, and kept beside the
store: `answers.sqlite` in the store's own directory, swapped in with it (kg.store.write_new). Its
first MAX_ROWS rows are kept, in the query's order, as SPARQL JSON terms. A page is read from there
when the query text is the one the build ran (its SHA-256), the parameters are the defaults and the
rows asked for lie within the rows kept (every row, when the whole answer was kept); anything else
(other parameters, an edited query, rows past those kept) runs the query as before. Answers with blank
nodes are not kept (their labels are the store's). tests/test_answers.py checks that every page read
here equals the page the query gives.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import PREFIXES

ANSWERS = "answers.sqlite"
MAX_ROWS = 10_000  # rows kept per query: a hundred pages of a hundred


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
    """The inverse of term_json."""
    if d["type"] == "uri":
        return ox.NamedNode(d["value"])
    if d["type"] == "bnode":
        return ox.BlankNode(d["value"])
    if d["type"] == "triple":
        v = d["value"]
        return ox.Triple(json_term(v["subject"]), json_term(v["predicate"]), json_term(v["object"]))
    if "xml:lang" in d:
        return ox.Literal(d["value"], language=d["xml:lang"])
    if "datatype" in d:
        return ox.Literal(d["value"], datatype=ox.NamedNode(d["datatype"]))
    return ox.Literal(d["value"])


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _has_bnode(cell: dict | None) -> bool:
    return cell is not None and (cell["type"] == "bnode" or (cell["type"] == "triple" and any(
        _has_bnode(part) for part in cell["value"].values())))


def write(store: ox.Store, directory: Path, root: Path | None = None) -> dict[str, int]:
    """Compute every canned SELECT query's answer (default parameters, first MAX_ROWS rows) on `store`
    and write them to directory/answers.sqlite (whole or not at all). Returns rows kept per query."""
    from . import queries

    part = directory / (ANSWERS + ".part")
    part.unlink(missing_ok=True)
    kept: dict[str, int] = {}
    con = sqlite3.connect(part)
    try:
        con.executescript("""
            CREATE TABLE query (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, variables TEXT NOT NULL, kept INTEGER NOT NULL,
                                complete INTEGER NOT NULL);
            CREATE TABLE row (name TEXT NOT NULL, pos INTEGER NOT NULL, cells TEXT NOT NULL, PRIMARY KEY (name, pos)) WITHOUT ROWID;
        """)
        for name, canned in sorted(queries.discover(root).items()):
            try:
                result = queries.run(store, canned, {}, limit=MAX_ROWS + 1)  # one more tells whether more follow
            except queries.QueryError:  # e.g. a query that ends with its own LIMIT: not a listing
                continue
            if not isinstance(result, ox.QuerySolutions):
                continue
            variables = [v.value for v in result.variables]
            rows = [[term_json(s[v]) for v in variables] for s in result]
            if any(_has_bnode(cell) for row in rows for cell in row):
                continue
            complete, rows = len(rows) <= MAX_ROWS, rows[:MAX_ROWS]
            con.execute("INSERT INTO query VALUES (?, ?, ?, ?, ?)",
                        (name, _key(canned.text), json.dumps(variables), len(rows), complete))
            con.executemany("INSERT INTO row VALUES (?, ?, ?)",
                            ((name, i, json.dumps(row, ensure_ascii=False, separators=(",", ":"))) for i, row in enumerate(rows)))
            kept[name] = len(rows)
        con.commit()
    finally:
        con.close()
    os.replace(part, directory / ANSWERS)
    return kept


def page(store_dir: Path, canned: Any, params: dict[str, str] | None, limit: int | None,
         offset: int = 0) -> tuple[list[str], list[list[dict | None]]] | None:
    """(variables, rows as SPARQL JSON terms) of rows offset .. offset+limit-1 (limit None: every row from
    offset on) of a canned query's answer as the build computed it, or None when the build did not keep
    those rows (see the module's text)."""
    given = params or {}
    if any(given.get(p.name, p.default) != p.default for p in canned.params):
        return None
    path = store_dir / ANSWERS
    if not path.is_file():
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        found = con.execute("SELECT sha256, variables, kept, complete FROM query WHERE name = ?", (canned.name,)).fetchone()
        if found is None or found[0] != _key(canned.text):
            return None
        variables, kept, complete = json.loads(found[1]), found[2], found[3]
        end = kept if limit is None else offset + limit
        if (limit is None or end > kept) and not complete:  # rows past those kept were asked for: ask the store
            return None
        cells = con.execute("SELECT cells FROM row WHERE name = ? AND pos >= ? AND pos < ? ORDER BY pos",
                            (canned.name, offset, end)).fetchall()
        return variables, [json.loads(c[0]) for c in cells]
    finally:
        con.close()


def solutions(store: ox.Store, variables: list[str], rows: list[list[dict | None]]) -> ox.QuerySolutions:
    """The rows as pyoxigraph solutions, in their order (a VALUES block; no data is read)."""
    if not variables:
        return store.query("SELECT * WHERE { FILTER(false) }")
    head = " ".join("?" + v for v in variables)
    body = " ".join("(" + " ".join("UNDEF" if c is None else str(json_term(c)) for c in row) + ")" for row in rows)
    return store.query(f"SELECT {head} WHERE {{ VALUES ({head}) {{ {body} }} }}", prefixes=PREFIXES)
