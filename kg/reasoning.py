"""Reason: OWL RL materialisation for queries (SPARQL rules) and the HermiT consistency check."""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from . import INFERRED_GRAPH, NSP

PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""

# Each SPARQL rule is a CONSTRUCT over the union of all graphs that yields only triples not yet present.
SPARQL_RULES: dict[str, str] = {
    # cax-sco and cax-eqc1/2 for named classes
    "subclass": """CONSTRUCT { ?x a ?d } WHERE {
        ?x a ?c . ?c (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass)+ ?d .
        FILTER(isIRI(?d) && ?c != ?d) FILTER NOT EXISTS { ?x a ?d } }""",
    # prp-spo1
    "subproperty": """CONSTRUCT { ?x ?q ?y } WHERE {
        ?p rdfs:subPropertyOf+ ?q . FILTER(?p != ?q) ?x ?p ?y . FILTER NOT EXISTS { ?x ?q ?y } }""",
    # prp-inv1/2
    "inverse": """CONSTRUCT { ?y ?q ?x } WHERE {
        { ?p owl:inverseOf ?q } UNION { ?q owl:inverseOf ?p }
        ?x ?p ?y . FILTER(!isLiteral(?y)) FILTER NOT EXISTS { ?y ?q ?x } }""",
    # Not OWL RL: the derived property nsp:topLevelAct (ontology/nsp.ttl). Every legal resource gets the
    # top-level act it belongs to (itself for an act), so queries join on it instead of evaluating
    # `?x eli:is_part_of* ?law . FILTER NOT EXISTS { ?law eli:is_part_of ?parent }` for every row.
    # Not OWL RL: the derived property nsp:restsOnLevel (ontology/nsp.ttl). A position rests on the
    # weakest level among its own evidence nodes, so it never shows a higher level than its support.
    "position-level": """PREFIX nsp: <https://w3id.org/nso-partnership/ontology#>
    PREFIX conf: <https://w3id.org/nso-partnership/vocab/confidence/>
    CONSTRUCT { ?pos nsp:restsOnLevel ?level } WHERE {
        { SELECT ?pos (MIN(?rank) AS ?weakest) WHERE {
            ?pos a nsp:JurisdictionPosition ; nsp:evidence/nsp:confidence ?c .
            VALUES (?c ?rank) { (conf:recalled 0) (conf:secondary 1) (conf:text-read 2) } } GROUP BY ?pos }
        VALUES (?level ?weakest) { (conf:recalled 0) (conf:secondary 1) (conf:text-read 2) }
        FILTER NOT EXISTS { ?pos nsp:restsOnLevel ?any } }""",
    "top-level-act": """PREFIX eli: <http://data.europa.eu/eli/ontology#>
    PREFIX nsp: <https://w3id.org/nso-partnership/ontology#>
    CONSTRUCT { ?x nsp:topLevelAct ?act } WHERE {
        ?x a eli:LegalResource . ?x eli:is_part_of* ?act .
        FILTER NOT EXISTS { ?act eli:is_part_of ?parent } FILTER NOT EXISTS { ?x nsp:topLevelAct ?act } }""",
}


@dataclass
class MaterialisationReport:
    rounds: int = 0
    added: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.added.values())


def _defined_class_triples(store: ox.Store) -> set[ox.Triple]:
    """cls-int1 with cls-hv1 and cls-svf1 members: x is a C when C ≡ (A ⊓ ∃p.D ⊓ p∋v ...), A a named
    class. Evaluated with indexed look-ups and set operations: as a SPARQL CONSTRUCT (nested FILTER NOT
    EXISTS) Oxigraph takes time quadratic in the number of instances (0.35 s at 10k triples, minutes at 100k)."""
    rdf, owl = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2002/07/owl#"
    a, first_, rest_, nil = (ox.NamedNode(rdf + n) for n in ("type", "first", "rest", "nil"))
    equivalent, intersection, on_property, has_value, some_values = (
        ox.NamedNode(owl + n) for n in ("equivalentClass", "intersectionOf", "onProperty", "hasValue", "someValuesFrom"))

    def objects(s, p) -> set:
        return {q.object for q in store.quads_for_pattern(s, p, None, None)}

    def subjects(p, o) -> set:
        return {q.subject for q in store.quads_for_pattern(None, p, o, None)}

    out: set[ox.Triple] = set()
    for q in list(store.quads_for_pattern(None, equivalent, None, None)):
        cls, expr = q.subject, q.object
        if not isinstance(cls, ox.NamedNode) or isinstance(expr, ox.Literal):
            continue
        for head in objects(expr, intersection):
            if isinstance(head, ox.Literal):
                continue
            members, node, seen = [], head, set()
            while not isinstance(node, ox.Literal) and node != nil and node not in seen:  # rdf:rest*/rdf:first
                seen.add(node)
                members += objects(node, first_)
                nxt = objects(node, rest_)
                node = next(iter(nxt)) if len(nxt) == 1 else nil
            for first in objects(head, first_):
                if not isinstance(first, ox.NamedNode):
                    continue
                candidates = subjects(a, first) - subjects(a, cls)
                for m in members:
                    if not candidates:
                        break
                    ok = subjects(a, m)  # a named class
                    if not isinstance(m, ox.Literal):
                        for p in objects(m, on_property):
                            if isinstance(p, ox.Literal):
                                continue
                            for v in objects(m, has_value):
                                ok |= subjects(p, v)
                            for d in objects(m, some_values):
                                for y in subjects(a, d):
                                    ok |= subjects(p, y)
                    candidates &= ok
                out |= {ox.Triple(x, a, cls) for x in candidates}
    return out


def _sparql_rule(rule: str) -> Callable[[ox.Store], set[ox.Triple]]:
    return lambda store: set(store.query(PREFIXES + rule, use_default_graph_as_union=True))


RULES: dict[str, Callable[[ox.Store], set[ox.Triple]]] = {
    **{name: _sparql_rule(rule) for name, rule in SPARQL_RULES.items()},
    "defined-class": _defined_class_triples,
}


def materialise(store: ox.Store, max_rounds: int = 20) -> MaterialisationReport:
    """Apply the rules to a fixpoint; inferred triples go into the inferred graph only."""
    graph = ox.NamedNode(INFERRED_GRAPH)
    report = MaterialisationReport(added={name: 0 for name in RULES})
    for _ in range(max_rounds):
        report.rounds += 1
        new = 0
        for name, rule in RULES.items():
            triples = rule(store)
            if triples:
                store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
                report.added[name] += len(triples)
                new += len(triples)
        if not new:
            break
    return report


class ReasonerUnavailable(Exception):
    """HermiT cannot run (no Java); the message says what to install."""


@dataclass
class ConsistencyReport:
    consistent: bool
    classified: dict[str, set[str]] = field(default_factory=dict)  # defined class IRI -> individuals
    explanation: str = ""


DEFINED_CLASSES = ("PrivateDataFlow", "PrivateDataPartnership", "StatuteBasedDataFlow")
_DATE = re.compile(r'"(\d{4}-\d{2}-\d{2})"\^\^<http://www\.w3\.org/2001/XMLSchema#date>')
_UNSUPPORTED = re.compile(r'\^\^<http://www\.w3\.org/2001/XMLSchema#(gYear|gYearMonth|duration)>')
_IMPORTS = "<http://www.w3.org/2002/07/owl#imports>"


def hermit_ntriples(triples: Iterable[ox.Triple]) -> str:
    """N-Triples for HermiT: xsd:date becomes xsd:dateTime (HermiT rejects xsd:date), unsupported types dropped,
    and owl:imports removed (everything is already merged; owlready2 would otherwise fetch them over the network)."""
    lines = []
    for t in triples:
        line = f"{t.subject} {t.predicate} {t.object} ."
        if _UNSUPPORTED.search(line) or str(t.predicate) == _IMPORTS:
            continue
        lines.append(_DATE.sub(r'"\1T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>', line))
    return "\n".join(lines) + "\n"


def check_consistency(triples: Iterable[ox.Triple]) -> ConsistencyReport:
    """Run HermiT (owlready2) on ontology + data; classify the defined classes' instances."""
    if shutil.which("java") is None:
        raise ReasonerUnavailable(
            "HermiT needs a Java runtime and none was found on PATH. "
            "Install one (Debian: apt-get install default-jre-headless) and run `kg reason` again.")
    import owlready2  # imported late: it is slow to import and only this step needs it

    with tempfile.TemporaryDirectory() as tmp:
        nt = Path(tmp) / "kg.nt"
        nt.write_text(hermit_ntriples(triples), encoding="utf-8")
        world = owlready2.World()
        try:
            with open(nt, "rb") as handle:
                onto = world.get_ontology("https://w3id.org/nso-partnership/reasoning-copy").load(fileobj=handle, format="ntriples")
        except owlready2.OwlReadyError as exc:
            raise ReasonerUnavailable(f"owlready2 could not read the reasoning copy: {_first_line(str(exc))}") from None
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            return ConsistencyReport(False, explanation=_first_line(str(exc)) or "HermiT found the ontology and data inconsistent")
        except owlready2.base.OwlReadyJavaError as exc:
            raise ReasonerUnavailable(f"HermiT failed to run: {_first_line(str(exc))}") from None
        classified: dict[str, set[str]] = {}
        for name in DEFINED_CLASSES:
            cls = world[NSP + name]
            classified[NSP + name] = {i.iri for i in cls.instances()} if cls is not None else set()
        return ConsistencyReport(True, classified)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:500]
    return ""
