"""SPARQL results and RDF graphs as bytes in a negotiated media type.

Used by the query workers (kg/server/executor.py renders a /sparql answer in the worker, so the server
process only sends the bytes) and by the server for canned-query downloads. Plain pyoxigraph and json.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    from .executor import Result

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
EXTRA_PREFIXES = {"void": "http://rdfs.org/ns/void#", "dcat": "http://www.w3.org/ns/dcat#",
                  "sd": "http://www.w3.org/ns/sparql-service-description#", "sh": "http://www.w3.org/ns/shacl#",
                  "vann": "http://purl.org/vocab/vann/", "schema": "https://schema.org/"}


def results_json(result: Result) -> dict:
    if result.kind == "boolean":
        return {"head": {}, "boolean": result.boolean}
    bindings = [{v: t for v, t in zip(result.variables, row) if t is not None} for row in result.rows]
    return {"head": {"vars": result.variables}, "results": {"bindings": bindings}}


def serialize(result: Result, media: str) -> bytes:
    """Bytes of a result in a negotiated media type (results formats, or RDF for graph results)."""
    if result.kind == "graph":
        triples = list(ox.parse(result.ntriples.encode(), format=ox.RdfFormat.N_TRIPLES)) if result.ntriples else []
        prefixes = used_prefixes(triples) if media == "text/turtle" else None
        return ox.serialize(tidy(triples), format=GRAPH_FORMATS[media], prefixes=prefixes) or b""
    data = json.dumps(results_json(result), ensure_ascii=False).encode()
    if media == "application/sparql-results+json":
        return data
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=RESULT_FORMATS[media])


def tidy(triples: list[ox.Triple], first: str | None = None) -> list[ox.Triple]:
    """Triples grouped by subject (`first`, then named, then blank), rdf:type first: readable Turtle."""
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    return sorted(set(triples), key=lambda t: (not (isinstance(t.subject, ox.NamedNode) and t.subject.value == first),
                                                isinstance(t.subject, ox.BlankNode), str(t.subject),
                                                t.predicate.value != rdf_type, str(t.predicate), str(t.object)))


def used_prefixes(triples: list[ox.Triple], extra: dict[str, str] | None = None) -> dict[str, str]:
    """The project prefixes (plus extra) whose namespace some IRI in the triples uses: tidy Turtle."""
    from .. import PREFIXES
    candidates = {**PREFIXES, **EXTRA_PREFIXES, **(extra or {})}
    iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object) if isinstance(t, ox.NamedNode)}
    return {p: ns for p, ns in candidates.items() if any(i.startswith(ns) for i in iris)}
