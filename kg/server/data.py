"""Read helpers for the pages: labels, a resource's statements, its description, search, dataset statistics.

These run in the server process, so each is an index range with a bound, never a scan of the store:
statements of a fixed subject (SPOG index), links to a fixed object (OSPG, at most MAX_SCAN quads read),
sub-nodes from a sorted list of subject IRIs built once per store, search from an index of every label
built once per store (the search text is a needle for str.find, never parsed).
"""
from __future__ import annotations

import bisect
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

import pyoxigraph as ox

from .. import BASE, INFERRED_GRAPH, NSP, PREFIXES
from ..export import DERIVED_GRAPHS
from ..queries import compact_iri

RDF_TYPE = PREFIXES["rdf"] + "type"
SKOS, DCT, RDFS, ELI, FOAF, ORG = (PREFIXES[p] for p in ("skos", "dct", "rdfs", "eli", "foaf", "org"))
LABEL_PROPS = [SKOS + "prefLabel", DCT + "title", RDFS + "label", FOAF + "name", SKOS + "altLabel"]
SEARCH_PROPS = [SKOS + "prefLabel", SKOS + "altLabel", DCT + "title", RDFS + "label"]


MAX_SCAN = 20_000  # quads one look-up may read (links to an IRI, a description)


class NotAnIRI(ValueError):
    """A path or parameter that is no IRI the store can hold (a space, a quote...): HTTP 400."""


def named(iri: str) -> ox.NamedNode:
    """The IRI as a term, or NotAnIRI."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        raise NotAnIRI(f"{iri!r} is not an IRI the store can hold") from None


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return PREFIXES[prefix] + local if prefix in PREFIXES and not local.startswith("//") else curie


def is_derived(graph: Any) -> bool:
    return isinstance(graph, ox.NamedNode) and graph.value in DERIVED_GRAPHS


def sort_key_literal(lit: ox.Literal) -> tuple:
    lang = lit.language or ""
    return (0 if lang == "en" else 1 if lang == "" else 2, lang, lit.value)


@dataclass
class Node:
    """A resource's asserted statements, by predicate IRI (object lists deduplicated, English first)."""
    iri: str
    props: dict[str, list[Any]] = field(default_factory=dict)

    def __getitem__(self, curie: str) -> list[Any]:
        return self.props.get(expand(curie), [])

    def one(self, curie: str) -> Any:
        values = self[curie]
        return values[0] if values else None

    def has_type(self, *curies: str) -> bool:
        types = {t.value for t in self["rdf:type"] if isinstance(t, ox.NamedNode)}
        return any(expand(c) in types for c in curies)

    @property
    def term(self) -> ox.NamedNode | ox.BlankNode:
        return ox.BlankNode(self.iri[2:]) if self.iri.startswith("_:") else ox.NamedNode(self.iri)


class Data:
    """Look-ups over one open store (labels cached for the life of that store)."""

    def __init__(self, store: ox.Store):
        self.store = store
        self._labels: dict[str, str | None] = {}
        self._described: dict[str, bool] = {}
        self._subjects: list[str] | None = None
        self._subjects_lock = threading.Lock()
        self._search: SearchIndex | None = None
        self._search_lock = threading.Lock()

    # -- statements ------------------------------------------------------------------------
    def node(self, subject: str | ox.NamedNode | ox.BlankNode, inferred: bool = False) -> Node:
        term = subject if not isinstance(subject, str) else (ox.BlankNode(subject[2:]) if subject.startswith("_:") else named(subject))
        props: dict[str, list[Any]] = defaultdict(list)
        for q in self.store.quads_for_pattern(term, None, None, None):
            if is_derived(q.graph_name) and not inferred:
                continue
            values = props[q.predicate.value]
            if q.object not in values:
                values.append(q.object)
        for values in props.values():
            values.sort(key=lambda t: sort_key_literal(t) if isinstance(t, ox.Literal) else (3, str(t), ""))
        key = term.value if isinstance(term, ox.NamedNode) else "_:" + term.value
        return Node(key, dict(props))

    def incoming(self, iri: str, limit: int = 500) -> list[tuple[Any, str]]:
        """(subject, predicate) pairs pointing at iri from the asserted graphs (an OSPG index range; at
        most MAX_SCAN quads are read)."""
        out = []
        for i, q in enumerate(self.store.quads_for_pattern(None, None, named(iri), None)):
            if i >= MAX_SCAN:
                break
            if is_derived(q.graph_name):
                continue
            pair = (q.subject, q.predicate.value)
            if pair not in out:
                out.append(pair)
            if len(out) >= limit:
                break
        return out

    def subjects(self, predicate: str, obj: Any) -> list[Any]:
        out = []
        for q in self.store.quads_for_pattern(None, ox.NamedNode(expand(predicate)), obj if not isinstance(obj, str) else ox.NamedNode(obj), None):
            if q.subject not in out:
                out.append(q.subject)
        return out

    def select(self, sparql: str, **bindings: Any) -> list[dict[str, Any]]:
        """Run one of the server's own queries with variables bound to terms (see bind)."""
        result = self.store.query(bind(sparql, bindings), use_default_graph_as_union=True, prefixes=PREFIXES)
        variables = [v.value for v in result.variables]
        return [{v: s[v] for v in variables} for s in result]

    def exists(self, iri: str) -> bool:
        """Whether the store says anything about iri (as subject, or in its # / sub-path namespace)."""
        term = named(iri)
        if next(iter(self.store.quads_for_pattern(term, None, None, None)), None) is not None:
            return True
        return bool(self.children(iri, limit=1))

    def described(self, iri: str) -> bool:
        if iri not in self._described:
            self._described[iri] = next(iter(self.store.quads_for_pattern(named(iri), None, None, None)), None) is not None
        return self._described[iri]

    def children(self, iri: str, limit: int = 5000) -> list[ox.NamedNode]:
        """Subjects named under iri: iri#... (hash terms) and iri/... (sub-nodes such as participations),
        at most `limit`: two ranges of the sorted subject list (see subject_iris)."""
        if iri.endswith("/") or iri.endswith("#"):
            return []
        subjects, out = self.subject_iris(), []
        for prefix in (iri + "#", iri + "/"):
            i = bisect.bisect_left(subjects, prefix)
            while i < len(subjects) and subjects[i].startswith(prefix) and len(out) < limit:
                out.append(ox.NamedNode(subjects[i]))
                i += 1
        return out

    def subject_iris(self) -> list[str]:
        """Every IRI that is the subject of an asserted triple (in a named, non-derived graph), sorted:
        read once per store (the store is immutable; a rebuild opens a new Data), then an index for
        prefix look-ups that the store's own indexes (by term id, not by spelling) cannot give."""
        with self._subjects_lock:
            if self._subjects is None:
                rows = self.store.query(
                    "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && ?g NOT IN (<%s>, <%s>)) }"
                    % tuple(sorted(DERIVED_GRAPHS)))
                self._subjects = sorted(r["s"].value for r in rows)
            return self._subjects

    def description(self, iri: str, limit: int = MAX_SCAN) -> list[ox.Triple]:
        """The resource's asserted triples plus those of its sub-nodes (iri#..., iri/..., blank nodes):
        one SPOG index range per node, at most `limit` triples."""
        seen: set[Any] = set()
        todo: list[Any] = [named(iri), *self.children(iri)]
        triples: list[ox.Triple] = []
        while todo and len(triples) < limit:
            subject = todo.pop()
            if subject in seen:
                continue
            seen.add(subject)
            for q in self.store.quads_for_pattern(subject, None, None, None):
                if is_derived(q.graph_name):
                    continue
                t = ox.Triple(q.subject, q.predicate, q.object)
                triples.append(t)
                if isinstance(q.object, ox.BlankNode) and q.object not in seen:
                    todo.append(q.object)
        return sorted(set(triples), key=lambda t: (str(t.subject) != f"<{iri}>", str(t.subject), str(t.predicate), str(t.object)))

    # -- labels ----------------------------------------------------------------------------
    def label(self, term: Any) -> str:
        """A person's name for a term: its label (English first), else a compact form of the IRI."""
        if isinstance(term, ox.Literal):
            return term.value
        if isinstance(term, ox.BlankNode):
            return "(blank node)"
        iri = term.value if isinstance(term, ox.NamedNode) else str(term)
        found = self.label_or_none(iri)
        return found if found is not None else compact_iri(iri)

    def label_or_none(self, iri: str) -> str | None:
        if iri not in self._labels:
            self._labels[iri] = self._find_label(iri)
        return self._labels[iri]

    def _find_label(self, iri: str) -> str | None:
        term = named(iri)
        # An article: "<law title> § <number>" (its heading is shown beside it where it matters).
        number = next(iter(self.store.quads_for_pattern(term, ox.NamedNode(ELI + "number"), None, None)), None)
        parent = next(iter(self.store.quads_for_pattern(term, ox.NamedNode(ELI + "is_part_of"), None, None)), None)
        if number is not None and parent is not None and isinstance(parent.object, ox.NamedNode):
            return f"{self.label(parent.object)} § {number.object.value}"
        for prop in LABEL_PROPS:
            values = [q.object for q in self.store.quads_for_pattern(term, ox.NamedNode(prop), None, None)
                      if isinstance(q.object, ox.Literal)]
            if values:
                return sorted(values, key=sort_key_literal)[0].value
        if number is not None:
            return f"§ {number.object.value}"
        return None

    def types(self, iri: str) -> list[str]:
        return [q.object.value for q in self.store.quads_for_pattern(named(iri), ox.NamedNode(RDF_TYPE), None, None)
                if isinstance(q.object, ox.NamedNode)]

    # -- search ----------------------------------------------------------------------------
    def search(self, text: str, limit: int = 200) -> list[dict[str, Any]]:
        """Case-insensitive substring search over prefLabel / altLabel / dct:title / rdfs:label: the first
        `limit` matching resources in page order (kind, then label). The text is only a needle for
        str.find over the label index (no parsing), capped at MAX_SEARCH characters."""
        needle = text.strip()[:MAX_SEARCH].replace(SEP, "").lower()
        return self.search_index().find(needle, limit) if needle else []

    def search_index(self) -> "SearchIndex":
        """The labels of every IRI in page order, read once per store (the store is immutable)."""
        with self._search_lock:
            if self._search is None:
                self._search = self._build_search_index()
            return self._search

    def _build_search_index(self) -> "SearchIndex":
        labels: dict[str, list[str]] = defaultdict(list)
        for q in (quad for prop in SEARCH_PROPS for quad in self.store.quads_for_pattern(None, ox.NamedNode(prop), None, None)):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
                found = labels[q.subject.value]
                if q.object.value not in found:
                    found.append(q.object.value)
        order = {k: i for i, k in enumerate(KIND_ORDER)}
        rows = []
        for iri, found in labels.items():
            kind = kind_of(set(self.types(iri)), iri)
            label = self.label(ox.NamedNode(iri))
            rows.append(((order.get(kind, 99), label.lower(), iri), {"iri": iri, "label": label, "kind": kind}, found))
        rows.sort(key=lambda r: r[0])
        return SearchIndex([(r[1], r[2]) for r in rows])


MAX_SEARCH = 200  # characters of a search text that are used
SEP = "\x00"      # between labels in the search index; removed from search texts


class SearchIndex:
    """Every label, lower-cased, in one string; resources in page order, each resource's labels together.
    A search is str.find from the start: the first match is in the first matching resource, and the next
    find starts after that resource's labels, so a search costs at most `limit` finds and one pass."""

    def __init__(self, resources: list[tuple[dict[str, Any], list[str]]]):
        parts: list[str] = []
        self.starts: list[int] = []   # offset of each label in text
        self.entry: list[tuple[int, str]] = []  # (resource number, original label) of each label
        self.ends: list[int] = []     # offset just after each resource's last label
        self.resources = [r for r, _ in resources]
        offset = 0
        for number, (_, found) in enumerate(resources):
            for label in found:
                low = label.replace(SEP, " ").lower()
                self.starts.append(offset)
                self.entry.append((number, label))
                parts.append(low)
                offset += len(low) + 1
            self.ends.append(offset)
        self.text = SEP.join(parts)

    def find(self, needle: str, limit: int) -> list[dict[str, Any]]:
        out, pos = [], 0
        while len(out) < limit:
            pos = self.text.find(needle, pos)
            if pos < 0:
                break
            number, label = self.entry[bisect.bisect_right(self.starts, pos) - 1]
            out.append({**self.resources[number], "match": label})
            pos = self.ends[number]
        return out


KIND_ORDER = ["case", "organisation", "law", "article", "concept", "scheme", "class", "property", "other"]


def bind(sparql: str, bindings: dict[str, Any]) -> str:
    """Put terms in place of ?variables. Safe: each value goes through pyoxigraph's term constructor and
    is written in its N-Triples form (IRIs validated, literals escaped), so it cannot change the query.
    (pyoxigraph's own substitutions only apply to projected variables.)"""
    for name, value in bindings.items():
        term = ox.NamedNode(value) if isinstance(value, str) else value
        if not isinstance(term, (ox.NamedNode, ox.Literal)):
            raise TypeError(f"cannot bind {name} to {value!r}")
        sparql = re.sub(r"[?$]%s\b" % re.escape(name), lambda _m: str(term), sparql)
    return sparql


def kind_of(types: set[str], iri: str = "") -> str:
    """The page kind of a resource from its types."""
    if NSP + "PartnershipCase" in types:
        return "case"
    if {ORG + "Organization", ORG + "FormalOrganization", NSP + "NationalStatisticalOffice",
            NSP + "InternationalStatisticalOrganization", NSP + "WorkingGroup", FOAF + "Organization", FOAF + "Agent"} & types:
        return "organisation"
    if ELI + "LegalResourceSubdivision" in types:
        return "article"
    if {ELI + "LegalResource", NSP + "StatisticalLaw", NSP + "ModelLaw"} & types:
        return "law"
    if SKOS + "ConceptScheme" in types:
        return "scheme"
    if SKOS + "Concept" in types:
        return "concept"
    if {PREFIXES["owl"] + "Class", RDFS + "Class"} & types:
        return "class"
    if {PREFIXES["owl"] + "ObjectProperty", PREFIXES["owl"] + "DatatypeProperty", PREFIXES["rdf"] + "Property",
            PREFIXES["owl"] + "AnnotationProperty"} & types:
        return "property"
    if PREFIXES["owl"] + "Ontology" in types:
        return "ontology"
    return "other"


def natural_key(text: str) -> list:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text or "")]


def is_minted(iri: str, base: str = BASE) -> bool:
    return iri.startswith(base)


__all__ = ["Data", "Node", "expand", "kind_of", "natural_key", "INFERRED_GRAPH", "Iterable"]
