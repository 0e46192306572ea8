"""Export: dumps of the store in each RDF format (asserted graphs; inferences on request)."""
from __future__ import annotations

from pathlib import Path
from typing import IO, Iterator

import pyoxigraph as ox

from . import INFERRED_GRAPH, PREFIXES
from .pipeline import PROVENANCE_GRAPH

FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
DERIVED_GRAPHS = {INFERRED_GRAPH, PROVENANCE_GRAPH}


def quads(store: ox.Store, include_derived: bool = False) -> Iterator[ox.Quad]:
    """Every quad of the source graphs (and of the inferred/provenance graphs if asked)."""
    for q in store.quads_for_pattern(None, None, None, None):
        if include_derived or not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in DERIVED_GRAPHS):
            yield q


def export(store: ox.Store, fmt: str, output: IO[bytes] | Path | str, include_derived: bool = False) -> int:
    """Write a dump; dataset formats keep the named graphs, graph formats give their union. Returns statements written."""
    rdf_format = FORMATS[fmt]
    data = list(quads(store, include_derived))
    if rdf_format.supports_datasets:
        items: list = data
    else:
        items = list({ox.Triple(q.subject, q.predicate, q.object) for q in data})
        items.sort(key=str)
    ox.serialize(items, output, format=rdf_format, prefixes=PREFIXES if fmt in ("ttl", "trig") else None)
    return len(items)
