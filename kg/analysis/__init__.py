"""Analysis for the task force and researchers: the gap-analysis report (gap.py), the law links graph
and mapping suggestions (links.py), the partnership network (network.py) and country comparison
(compare.py). All read the store through SPARQL; canned queries live in queries/ like every other."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import BASE, VOCAB, project_root
from .. import queries as q

XSD = "http://www.w3.org/2001/XMLSchema#"
INT_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger", "decimal")}


def value(term: Any) -> Any:
    """A pyoxigraph term as a plain Python value: IRIs as strings, numbers as int, booleans as bool."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype else ""
        if dt in INT_TYPES:
            try:
                return int(term.value)
            except ValueError:
                return float(term.value)
        if dt == XSD + "boolean":
            return term.value == "true"
        return term.value
    return str(term)


def select(store: ox.Store, name: str, params: dict[str, str] | None = None,
           root: Path | None = None) -> tuple[q.CannedQuery, list[dict[str, Any]]]:
    """Run the canned query NAME (queries/NAME.rq) and return it with its rows as plain values."""
    canned = q.resolve(name, root or project_root())
    result = q.run(store, canned, params or {})
    variables, data = q.rows(result)
    return canned, [{v: value(row[v]) for v in variables} for row in data]


def sparql(store: ox.Store, text: str) -> list[dict[str, Any]]:
    """Run SPARQL text over the union of graphs; rows as plain values."""
    variables, data = q.rows(q.run(store, text))
    return [{v: value(row[v]) for v in variables} for row in data]


def split_concat(text: str | None) -> list[str]:
    """The parts of a GROUP_CONCAT made with separator "; " (the project's convention)."""
    return [part for part in (text or "").split("; ") if part]


def local_name(iri: str | None) -> str:
    """The last segment of an IRI, for a label of last resort."""
    if not iri:
        return ""
    return iri.rstrip("/").replace("#", "/").rsplit("/", 1)[-1]


def short(iri: str) -> str:
    """The project's own IRIs relative to the base; others as they are."""
    return q.compact_iri(iri)


__all__ = ["BASE", "VOCAB", "select", "sparql", "value", "local_name", "short", "split_concat"]
