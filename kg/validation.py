"""Validate: pyshacl over the data with the ontology as TBox, and a report a person can read."""
from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH
from rdflib.paths import Path as _RdfPath

from . import PREFIXES, project_root


@dataclass(frozen=True)
class Result:
    severity: str  # "Violation", "Warning" or "Info"
    focus: str
    path: str | None
    message: str
    value: str | None
    file: str | None


@dataclass
class Report:
    results: list[Result]

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(quads: Iterable[ox.Quad], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Copy pyoxigraph quads into one rdflib graph (graph names dropped).

    Each distinct term is converted once, directly, to the rdflib term that parsing its N-Triples
    form gives (a plain literal for xsd:string, one fresh blank node per blank-node label): several
    times faster than printing and re-parsing N-Triples, with the same graph. Terms rdflib cannot
    hold (RDF-star triples, directional literals) take the N-Triples route, as before."""
    graph = graph if graph is not None else rdflib.Graph()
    quads = quads if isinstance(quads, list) else list(quads)
    terms: dict = {}
    URIRef, Literal, BNode = rdflib.URIRef, rdflib.Literal, rdflib.BNode
    NamedNode, BlankNode, OxLiteral = ox.NamedNode, ox.BlankNode, ox.Literal

    def term(t):
        r = terms.get(t)
        if r is None:
            if isinstance(t, NamedNode):
                r = URIRef(t.value)
            elif isinstance(t, BlankNode):
                r = BNode()
            elif isinstance(t, OxLiteral):
                if t.direction:  # RDF 1.2 base direction: rdflib has no such literal
                    raise TypeError(t)
                if t.language:
                    r = Literal(t.value, lang=t.language)
                else:
                    dt = t.datatype.value
                    r = Literal(t.value, datatype=None if dt == _XSD_STRING else URIRef(dt))
            else:
                raise TypeError(t)
            terms[t] = r
        return r

    try:
        with quiet_ill_typed_literals():
            triples = [(term(q.subject), term(q.predicate), term(q.object)) for q in quads]
    except TypeError:
        return _to_rdflib_text(quads, graph)
    terms.clear()
    graph.addN((s, p, o, graph) for s, p, o in triples)
    return graph


def _to_rdflib_text(quads: Iterable[ox.Quad], graph: rdflib.Graph) -> rdflib.Graph:
    """The N-Triples route: print the quads' triples and let rdflib parse them."""
    text = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
    if text:
        with quiet_ill_typed_literals():
            graph.parse(data=text, format="nt")
    return graph


@contextlib.contextmanager
def quiet_ill_typed_literals() -> Iterator[None]:
    """Silence rdflib's logged traceback for each ill-typed literal it converts ("flargh"^^xsd:integer):
    such a literal is valid RDF (pyoxigraph accepts it as well) and a shape's sh:datatype reports it."""
    log = logging.getLogger("rdflib.term")
    before, log.disabled = log.disabled, True
    try:
        yield
    finally:
        log.disabled = before


class _ReadMostlyGraph(rdflib.Graph):
    """An rdflib graph that keeps the answer to each triple pattern until it is next changed.

    For the shapes graph: pyshacl re-reads a shape's parameters from it every time it applies the
    shape to a node (about two million look-ups at 100k triples, most of the time left after the
    data itself), and the shapes never change during a validation. Answers come in the order the
    store gives them; add, addN, remove and parse forget every answer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._answers: dict = {}

    def triples(self, triple):
        s, p, o = triple
        if isinstance(p, _RdfPath):
            yield from super().triples(triple)
            return
        key = (s, p, o)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = tuple(super().triples(key))
        yield from found

    def add(self, triple):
        self._answers.clear()
        return super().add(triple)

    def addN(self, quads):  # noqa: N802 (rdflib's name)
        self._answers.clear()
        return super().addN(quads)

    def remove(self, triple):
        self._answers.clear()
        return super().remove(triple)

    def parse(self, *args, **kwargs):
        try:
            return super().parse(*args, **kwargs)
        finally:
            self._answers.clear()


def shapes_graph(root: Path | None = None) -> rdflib.Graph:
    """All shapes files under shapes/ (in a _ReadMostlyGraph, with _QuietNamespaces: pyshacl reads
    the shapes and prints them in every result it makes, also the ones it discards)."""
    graph = _ReadMostlyGraph()
    for path in sorted((root or project_root()).glob("shapes/*.ttl")):
        graph.parse(path, format="turtle")
    return quiet_namespaces(graph)


def validate(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph,
             files_by_subject: dict[str, str] | None = None, inplace: bool = False) -> Report:
    """Run pyshacl (core shapes, the TBox mixed in so targets reach subclasses) and collect results.

    With `inplace`, the TBox is added to `data` itself instead of pyshacl mixing it into a copy of
    the data graph: the same results, without a second copy of a large graph (at 1M triples the
    copy costs about 1.3 GB and a minute), and `data` gets a namespace manager that names terms as
    rdflib's does without the cost that grows with the square of the graph (see _QuietNamespaces)."""
    import pyshacl

    with _pyshacl_tuned():
        if inplace:
            data += ontology
            quiet_namespaces(data)
            _, report_graph, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", inplace=True,
                                                  abort_on_first=False, allow_warnings=True)
        else:
            _, report_graph, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                                  abort_on_first=False, allow_warnings=True)
    return _report(report_graph, files_by_subject)


class _QuietNamespaces(rdflib.namespace.NamespaceManager):
    """rdflib's namespace manager, minus its record of every namespace it is asked about.

    pyshacl writes a message (with the focus node as a prefixed name) for every failed check, also
    the many that are thrown away inside sh:or, sh:not and qualified shapes. rdflib's normalizeUri
    inserts the namespace of each IRI into a trie whose top level it scans linearly, so at 1M
    triples, with one namespace per case and per law, this costs minutes. The trie only serves
    prefixes that are bound; an IRI whose namespace has no prefix prints as <IRI> either way, so
    skipping the insert for those gives exactly the same text."""

    def __init__(self, graph: rdflib.Graph):
        self._known: set[tuple[str, str]] = set()  # (prefix, namespace) bound through this manager
        super().__init__(graph, bind_namespaces="none")

    def bind(self, prefix, namespace, override: bool = True, replace: bool = False) -> None:
        """As rdflib's; a binding already in place returns at once (pyshacl re-binds sh: for every
        term it prints, and rdflib's bind then walks the trie each time)."""
        if isinstance(prefix, str) and prefix and (prefix, str(namespace)) in self._known:
            ns = rdflib.URIRef(str(namespace))
            if self.store.namespace(prefix) == ns and self.store.prefix(ns) == prefix:
                return
        super().bind(prefix, namespace, override=override, replace=replace)
        if isinstance(prefix, str) and prefix:
            self._known.add((prefix, str(namespace)))

    def normalizeUri(self, rdfTerm: str) -> str:  # noqa: N802, N803 (rdflib's name)
        try:
            namespace, _ = rdflib.namespace.split_uri(rdfTerm)
        except Exception:
            return super().normalizeUri(rdfTerm)
        if not isinstance(rdfTerm, rdflib.Variable) and self.store.prefix(rdflib.URIRef(namespace)) is None:
            return "<%s>" % rdfTerm
        return super().normalizeUri(rdfTerm)


def quiet_namespaces(graph: rdflib.Graph) -> rdflib.Graph:
    """Give `graph` a _QuietNamespaces manager with the prefixes it has bound now."""
    manager = _QuietNamespaces(graph)
    for prefix, namespace in graph.namespace_manager.namespaces():
        manager.bind(prefix, namespace, override=True, replace=True)
    graph.namespace_manager = manager
    return graph


class _ParameterList(list):
    """pyshacl's list of constraint parameters, with membership by hash: pyshacl tests each
    predicate of a shape against the list every time it evaluates the shape (hundreds of thousands
    of times at 100k triples), and URIRef equality is a Python call."""

    def __init__(self, items):
        super().__init__(items)
        self._members = frozenset(items)

    def __contains__(self, item) -> bool:
        return item in self._members


@contextlib.contextmanager
def _pyshacl_tuned() -> Iterator[None]:
    """pyshacl 0.40 with two costs removed that do not touch its report graph (other versions run as
    they are):

    - its cached list of constraint parameters becomes a _ParameterList (same items and order,
      membership by hash);
    - for the duration, ConstraintComponent.make_v_result_description returns a fixed text. That
      description (focus, value, path and shape printed for people) only goes into the text report
      pyshacl returns beside the report graph, which kg never reads; pyshacl builds one for every
      failed check, also the many that sh:or, sh:not and qualified shapes discard: about a sixth
      of a whole-graph run. The report graph, and so every Result, is unchanged."""
    import pyshacl
    from pyshacl import shape
    from pyshacl.constraints.constraint_component import ConstraintComponent

    if not pyshacl.__version__.startswith("0.40."):
        yield
        return
    if not isinstance(getattr(shape, "CONSTRAINT_PARAMS", (None,))[0], _ParameterList):
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP

        shape.CONSTRAINT_PARAMS = (_ParameterList(ALL_CONSTRAINT_PARAMETERS), CONSTRAINT_PARAMETERS_MAP)
    original = ConstraintComponent.make_v_result_description
    ConstraintComponent.make_v_result_description = _no_description
    try:
        yield
    finally:
        ConstraintComponent.make_v_result_description = original


def _no_description(self, *args, **kwargs) -> str:
    return "Validation result (text report not produced by kg)\n"


def _show(term: rdflib.term.Node) -> str:
    """A term in the prefixed form a person reads (nsp:status, <https://...>, "2002")."""
    if isinstance(term, rdflib.URIRef):
        text = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if text.startswith(ns) and "/" not in text[len(ns):] and "#" not in text[len(ns):]:
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    if isinstance(term, rdflib.Literal):
        dt = f"^^{_show(term.datatype)}" if term.datatype else ""
        return f'"{term}"{dt}'
    return str(term)


def format_report(report: Report, root: Path | None = None, show_warnings: bool = True) -> str:
    """Group results by file, then focus node; one line per violated constraint, in words."""
    root = root or project_root()
    shown = [r for r in report.results if show_warnings or r.severity == "Violation"]
    groups: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in shown:
        groups[_relative(r.file, root) if r.file else "(node described in no single file)"][r.focus].append(r)
    lines = []
    for file, by_focus in groups.items():
        lines.append(file)
        for focus, results in by_focus.items():
            lines.append(f"  <{focus}>")
            for r in results:
                extra = []
                if r.path:
                    extra.append(f"property {r.path}")
                if r.value:
                    extra.append(f"value {r.value}")
                suffix = f" ({'; '.join(extra)})" if extra else ""
                lines.append(f"    {r.severity}: {r.message}{suffix}")
    v, w = len(report.violations), len(report.warnings)
    lines.append(f"{v} violation{'s' * (v != 1)}, {w} warning{'s' * (w != 1)}.")
    return "\n".join(lines)


def _relative(file: str, root: Path) -> str:
    try:
        return str(Path(file).relative_to(root))
    except ValueError:
        return file


# ---------------------------------------------------------------------------------------------
# Incremental validation: validate only the resources a change can affect, with only the data
# the shapes reach from them. The result equals what a whole-graph validation reports for those
# resources; on a store that conformed before the change it equals the whole-graph report.
#
# How: every shape with a target is compiled into "walks", the sequences of path steps
# (predicate, forward or inverse) that its constraints read from a focus node, through nested
# sh:node / sh:qualifiedValueShape / sh:or / sh:and / sh:xone / sh:not / sh:property, ending in a
# read of rdf:type where sh:class is checked. The affected focus nodes of a change are found by
# walking those steps backwards from each added or removed triple; their neighbourhood is
# collected by walking the steps forwards in the store (pyoxigraph, indexed lookups); pyshacl
# then validates that small graph, and the results on the affected nodes are kept, with the same shapes and
# TBox as a full validation.
# ---------------------------------------------------------------------------------------------

_SH = "http://www.w3.org/ns/shacl#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_TBOX_PREDICATES = {_SUBCLASS, "http://www.w3.org/2002/07/owl#equivalentClass"}
_TYPE = "TYPE"  # a walk ending in a read of the node's rdf:type (sh:class)
_ANY = "*"       # any predicate (sh:closed reads every property of the node)
_MAX_NESTING = 12

Step = tuple  # (predicate IRI or _ANY, +1 forward | -1 inverse, "1" | "*" | "+" | "?")
Walk = tuple  # of Steps, possibly ending in _TYPE


class IncrementalUnsupported(Exception):
    """The shapes or the change need a whole-graph validation (complex paths, TBox changes)."""


def _path_alternatives(g: rdflib.Graph, path: rdflib.term.Node, inverse: bool = False) -> list[tuple]:
    """A SHACL path as a list of alternative step sequences."""
    if isinstance(path, rdflib.URIRef):
        return [((str(path), -1 if inverse else 1, "1"),)]
    inv = g.value(path, SH.inversePath)
    if inv is not None:
        return _path_alternatives(g, inv, not inverse)
    alt = g.value(path, SH.alternativePath)
    if alt is not None:
        return [seq for member in rdflib.collection.Collection(g, alt) for seq in _path_alternatives(g, member, inverse)]
    for kind, rep in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = g.value(path, kind)
        if inner is not None:
            alts = _path_alternatives(g, inner, inverse)
            if any(len(a) != 1 or a[0][2] != "1" for a in alts):
                raise IncrementalUnsupported("a repeated path over a sequence or a nested repetition")
            return [((a[0][0], a[0][1], rep),) for a in alts]
    if g.value(path, rdflib.RDF.first) is not None:  # sequence path
        seqs: list[tuple] = [()]
        members = list(rdflib.collection.Collection(g, path))
        for member in (reversed(members) if inverse else members):
            seqs = [s + a for s in seqs for a in _path_alternatives(g, member, inverse)]
        return seqs
    raise IncrementalUnsupported(f"unknown SHACL path {path!r}")


def _shape_walks(g: rdflib.Graph, shape: rdflib.term.Node, prefix: Walk, depth: int) -> set[Walk]:
    """Every walk the constraints of `shape` read, each prefixed by the walk that reached its focus."""
    if depth > _MAX_NESTING:
        raise IncrementalUnsupported("shapes nested too deeply (recursive shapes?)")
    out: set[Walk] = {prefix}
    path = g.value(shape, SH.path)
    if path is None:
        return out | _value_walks(g, shape, prefix, depth)
    for comparison in (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
        for other in g.objects(shape, comparison):
            out.add(prefix + ((str(other), 1, "1"),))
    for steps in _path_alternatives(g, path):
        out.add(prefix + steps)
        out |= _value_walks(g, shape, prefix + steps, depth)
    return out


def _value_walks(g: rdflib.Graph, shape: rdflib.term.Node, prefix: Walk, depth: int) -> set[Walk]:
    """Walks read by the node-level constraints of `shape` applied to the nodes `prefix` reaches."""
    out: set[Walk] = set()
    if (shape, SH["class"], None) in g:
        out.add(prefix + (_TYPE,))
    if (shape, SH.closed, rdflib.Literal(True)) in g:
        out.add(prefix + ((_ANY, 1, "1"),))
    nested = [*g.objects(shape, SH.node), *g.objects(shape, SH.qualifiedValueShape),
              *g.objects(shape, SH.property), *g.objects(shape, SH["not"])]
    for key in (SH["or"], SH["and"], SH.xone):
        for head in g.objects(shape, key):
            nested += list(rdflib.collection.Collection(g, head))
    for inner in nested:
        out |= _shape_walks(g, inner, prefix, depth + 1)
    return out


@dataclass
class _Root:
    """A shape with targets: what it targets and the walks its constraints read."""
    classes: set[str]
    nodes: set[str]
    subjects_of: set[str]
    objects_of: set[str]
    walks: set[Walk]


def _compile(shapes: rdflib.Graph, ontology: rdflib.Graph) -> list[_Root]:
    roots = []
    shape_nodes = set(shapes.subjects(rdflib.RDF.type, SH.NodeShape)) | set(shapes.subjects(rdflib.RDF.type, SH.PropertyShape))
    for shape in sorted(shape_nodes, key=str):
        target_classes = {str(c) for c in shapes.objects(shape, SH.targetClass)}
        if (shape, rdflib.RDF.type, rdflib.RDFS.Class) in shapes or (shape, rdflib.RDF.type, rdflib.OWL.Class) in shapes:
            target_classes.add(str(shape))
        nodes = {str(n) for n in shapes.objects(shape, SH.targetNode)}
        subjects_of = {str(p) for p in shapes.objects(shape, SH.targetSubjectsOf)}
        objects_of = {str(p) for p in shapes.objects(shape, SH.targetObjectsOf)}
        if not (target_classes or nodes or subjects_of or objects_of):
            continue
        if (shape, SH.target, None) in shapes:
            raise IncrementalUnsupported("SHACL-AF targets")
        classes = set()
        for c in target_classes:  # the class and its subclasses, as pyshacl finds targets
            classes |= {str(x) for x in ontology.transitive_subjects(rdflib.RDFS.subClassOf, rdflib.URIRef(c))}
            classes.add(c)
        roots.append(_Root(classes, nodes, subjects_of, objects_of, _shape_walks(shapes, shape, (), 0)))
    return roots


class _View:
    """Triples of a store as the data graph of a validation sees them: derived graphs left out,
    replaced graphs swapped for their new content (or, with `with_old`, kept as well)."""

    def __init__(self, store: ox.Store, replaced: set[str], added: set[tuple], with_old: bool = False):
        from . import INFERRED_GRAPH
        self.store = store
        self.hidden = {INFERRED_GRAPH, INFERRED_GRAPH.rsplit("/", 1)[0] + "/provenance"} | (set() if with_old else replaced)
        self.by_s: dict = defaultdict(set)
        self.by_o: dict = defaultdict(set)
        for t in added:
            self.by_s[t[0]].add(t)
            self.by_o[t[2]].add(t)

    def match(self, s=None, p=None, o=None) -> set[tuple]:
        out = set()
        for q in self.store.quads_for_pattern(s, p, o, None):
            g = q.graph_name
            if isinstance(g, ox.NamedNode) and g.value in self.hidden:
                continue
            out.add((q.subject, q.predicate, q.object))
        extra = self.by_s.get(s, ()) if s is not None else self.by_o.get(o, ()) if o is not None else \
            [t for ts in self.by_s.values() for t in ts]
        for t in extra:
            if (p is None or t[1] == p) and (o is None or t[2] == o) and (s is None or t[0] == s):
                out.add(t)
        return out


def _step(view: _View, node, step: Step, forward: bool, collect: set | None) -> set:
    """Nodes one application of `step` reaches from `node` (forward) or comes from (backward)."""
    pred, direction, _ = step
    p = None if pred == _ANY else ox.NamedNode(pred)
    out = set()
    if (direction == 1) == forward:  # follow s -> o
        if isinstance(node, ox.Literal):
            return out
        for t in view.match(node, p, None):
            out.add(t[2])
            if collect is not None:
                collect.add(t)
    else:  # follow o -> s
        for t in view.match(None, p, node):
            out.add(t[0])
            if collect is not None:
                collect.add(t)
    return out


def _apply(view: _View, nodes: set, step: Step, forward: bool, collect: set | None = None) -> set:
    """Apply a step with its repetition (1, *, +, ?) to a set of nodes."""
    rep = step[2]
    if rep == "1":
        return {m for n in nodes for m in _step(view, n, step, forward, collect)}
    if rep == "?":
        return set(nodes) | {m for n in nodes for m in _step(view, n, step, forward, collect)}
    seen = set(nodes) if rep == "*" else set()
    frontier = set(nodes)
    while frontier:
        nxt = {m for n in frontier for m in _step(view, n, step, forward, collect)} - seen
        seen |= nxt
        frontier = nxt
    return seen


class IncrementalValidator:
    """Validates changes to a built store against the shapes, touching only what they reach.

    `shapes` and `ontology` are the same graphs a full validation uses (default: shapes/ and the
    store's ontology graphs). Build it once and reuse it for many changes.
    """

    def __init__(self, shapes: rdflib.Graph, ontology: rdflib.Graph):
        self.shapes, self.ontology = shapes, ontology
        self.roots = _compile(shapes, ontology)

    # -- which resources a change affects --------------------------------------------------
    def _targeted(self, view: _View, node, root: _Root, types: dict) -> bool:
        if isinstance(node, ox.Literal):
            return False
        if root.nodes and isinstance(node, ox.NamedNode) and node.value in root.nodes:
            return True
        if root.classes:
            if node not in types:
                types[node] = {t[2].value for t in view.match(node, ox.NamedNode(_RDF_TYPE), None) if isinstance(t[2], ox.NamedNode)}
            if types[node] & root.classes:
                return True
        if any(view.match(node, ox.NamedNode(p), None) for p in root.subjects_of):
            return True
        return any(view.match(None, ox.NamedNode(p), node) for p in root.objects_of)

    def affected(self, store: ox.Store, replaced: set[str], added: set[tuple], removed: set[tuple]) -> set:
        """Focus nodes whose validation a change can alter: walk every shape's steps backwards
        from each changed triple (in the graph with both old and new triples) to a targeted node."""
        candidates, new = self._candidates(store, replaced, added, removed)
        types: dict = {}
        return {n for i, nodes in candidates.items() for n in nodes if self._targeted(new, n, self.roots[i], types)}

    def _candidates(self, store: ox.Store, replaced: set[str], added: set[tuple], removed: set[tuple]) -> tuple[dict, _View]:
        """Per shape (root index), the nodes whose validation by it the change can alter, targeted
        or not (before or after the change); and the view of the data after the change."""
        changed = added ^ removed
        if any(t[1].value in _TBOX_PREDICATES for t in changed):
            raise IncrementalUnsupported("the change touches the class hierarchy")
        both = _View(store, replaced, added, with_old=True)
        by_predicate: dict[str, list[tuple]] = defaultdict(list)
        for t in changed:
            by_predicate[t[1].value].append(t)
        subjects = {t[0] for t in changed}  # every resource the change describes is validated again
        candidates: dict[int, set] = defaultdict(set)  # root index -> candidate focus nodes
        for i, root in enumerate(self.roots):
            candidates[i] |= subjects
            for p in root.objects_of:
                candidates[i] |= {t[2] for t in by_predicate.get(p, ())}
            for walk in root.walks:
                for pos, step in enumerate(walk):
                    if step == _TYPE:
                        matching = by_predicate.get(_RDF_TYPE, ())
                    elif step[0] == _ANY:
                        matching = list(changed)
                    else:
                        matching = by_predicate.get(step[0], ())
                    for s, p, o in matching:
                        if step == _TYPE:
                            start = {s}
                        else:
                            start = {s} if step[1] == 1 else {o}
                            if step[2] in ("*", "+"):  # the triple may be any repetition of the step
                                start = _apply(both, start, (step[0], step[1], "*"), forward=False)
                        nodes = start
                        for back in reversed(walk[:pos]):
                            nodes = _apply(both, nodes, back, forward=False)
                            if not nodes:
                                break
                        candidates[i] |= nodes
        return candidates, _View(store, replaced, added)

    # -- the data the shapes read from those resources -----------------------------------------
    def neighbourhood(self, view: _View, focus: set) -> set[tuple]:
        """Every triple the shapes targeting `focus` can read, plus the focus nodes' types."""
        triples: set[tuple] = set()
        types: dict = {}
        rdf_type = ox.NamedNode(_RDF_TYPE)
        for node in focus:
            triples |= view.match(node, rdf_type, None)
        for root in self.roots:
            starts = {n for n in focus if self._targeted(view, n, root, types)}
            if not starts:
                continue
            for p in root.subjects_of:
                triples |= {t for n in starts for t in view.match(n, ox.NamedNode(p), None)}
            for p in root.objects_of:
                triples |= {t for n in starts for t in view.match(None, ox.NamedNode(p), n)}
            memo: dict[Walk, set] = {(): starts}
            for walk in sorted(root.walks, key=len):
                for k in range(1, len(walk) + 1):
                    key = walk[:k]
                    if key in memo:
                        continue
                    before = memo[walk[:k - 1]]
                    step = walk[k - 1]
                    if step == _TYPE:
                        for n in before:
                            if not isinstance(n, ox.Literal):
                                triples |= view.match(n, rdf_type, None)
                        memo[key] = set()
                    else:
                        memo[key] = _apply(view, before, step, forward=True, collect=triples)
        return triples

    def validate(self, store: ox.Store, changes: dict[str, list[ox.Quad]],
                 files_by_subject: dict[str, str] | None = None) -> Report:
        """Validate the change that replaces each named graph in `changes` with the given quads
        (a new graph, a changed one, or [] for a removed one) in the store's data."""
        replaced, added, removed = self._delta(store, changes)
        focus = self.affected(store, replaced, added, removed)
        if not focus:
            return Report([])
        view = _View(store, replaced, added)
        data = to_rdflib(ox.Quad(s, p, o, ox.DefaultGraph()) for s, p, o in self.neighbourhood(view, focus))
        return self._run(data, focus, files_by_subject)

    def validate_change(self, store: ox.Store, changes: dict[str, list[ox.Quad]],
                        files_by_subject: dict[str, str] | None = None) -> tuple[set, set, Report]:
        """Like `validate`, for updating a whole-graph report (the build's incremental validation).

        Returns (touched, focus, report): `touched`, every node whose results the change can alter
        (by any shape, whether targeted before or after the change); `focus`, those of them some
        shape targets after the change; `report`, all the results on `focus`. The whole-graph
        report after the change is the one before it without the results on `touched`, plus
        `report`: nodes outside `touched` keep their results, nodes of `touched` that no shape
        targets any more have none."""
        replaced, added, removed = self._delta(store, changes)
        candidates, new = self._candidates(store, replaced, added, removed)
        touched = set().union(*candidates.values()) if candidates else set()
        types: dict = {}
        focus = {n for n in touched if any(self._targeted(new, n, root, types) for root in self.roots)}
        if not focus:
            return touched, focus, Report([])
        data = to_rdflib(ox.Quad(s, p, o, ox.DefaultGraph()) for s, p, o in self.neighbourhood(new, focus))
        return touched, focus, self._run(data, focus, files_by_subject)

    @staticmethod
    def _delta(store: ox.Store, changes: dict[str, list[ox.Quad]]) -> tuple[set[str], set[tuple], set[tuple]]:
        """The replaced graphs, the triples they will hold and the triples they hold now."""
        replaced = set(changes)
        added = {(q.subject, q.predicate, q.object) for quads in changes.values() for q in quads}
        removed: set[tuple] = set()
        for graph in replaced:
            try:
                name = ox.NamedNode(graph)
            except ValueError:  # a blank-node graph name (TriG, N-Quads): scoped to its file, new to the store
                continue
            removed |= {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, name)}
        return replaced, added, removed

    def _run(self, data: rdflib.Graph, focus: set, files_by_subject: dict[str, str] | None) -> Report:
        """pyshacl on the neighbourhood, results kept for the affected nodes only. Not pyshacl's
        focus_nodes option: in pyshacl 0.40 it also filters the value nodes of nested shapes
        (sh:or inside sh:qualifiedValueShape), which hides violations."""
        wanted = {n.value if isinstance(n, ox.NamedNode) else "_:" for n in focus}
        report = validate(data, self.ontology, self.shapes, files_by_subject, inplace=True)  # data is ours
        return Report([r for r in report.results if r.focus in wanted or ("_:" in wanted and not r.focus.startswith(("http:", "https:", "urn:")))])


def order_results(results: Iterable[Result]) -> list[Result]:
    """Results in report order: by file, focus node, violations first, path, message."""
    return sorted(results, key=lambda r: (r.file or "~", r.focus, r.severity != "Violation", r.path or "", r.message))


def _report(report_graph: rdflib.Graph, files_by_subject: dict[str, str] | None) -> Report:
    files_by_subject = files_by_subject or {}
    results = []
    for node in report_graph.objects(None, SH.result):  # top-level results, not nested sh:detail
        focus = str(report_graph.value(node, SH.focusNode))
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        severity = str(report_graph.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]
        message = str(report_graph.value(node, SH.resultMessage) or "does not conform to its shape")
        results.append(Result(severity, focus, _show(path) if isinstance(path, rdflib.URIRef) else (None if path is None else "a property path"),
                              message, None if value is None else _show(value), files_by_subject.get(focus)))
    return Report(order_results(results))


def ontology_graph(store: ox.Store) -> rdflib.Graph:
    """The TBox as a full validation uses it: the store's graphs loaded from ontology/."""
    from . import GRAPH
    prefix = GRAPH + "ontology/"
    quads = [q for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(prefix)
             for q in store.quads_for_pattern(None, None, None, g)]
    return to_rdflib(quads)


def validate_incremental(store: ox.Store, changes: dict[str, list[ox.Quad]], shapes: rdflib.Graph | None = None,
                         ontology: rdflib.Graph | None = None, files_by_subject: dict[str, str] | None = None,
                         root: Path | None = None) -> Report:
    """Validate the change `changes` (named graph IRI -> its new quads) against a built store
    without a whole-graph validation. See IncrementalValidator; build one to validate many changes."""
    validator = IncrementalValidator(shapes if shapes is not None else shapes_graph(root),
                                     ontology if ontology is not None else ontology_graph(store))
    return validator.validate(store, changes, files_by_subject)


def graph_files(store: ox.Store) -> dict[str, str]:
    """Named graph IRI -> the source file it was loaded from (from the build's provenance graph)."""
    from . import GRAPH
    out = {}
    for q in store.quads_for_pattern(None, ox.NamedNode("http://purl.org/dc/terms/source"), None, ox.NamedNode(GRAPH + "provenance")):
        out[q.subject.value] = q.object.value
    return out
