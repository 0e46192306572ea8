"""Print one legal fact with everything a reviewer reads: the fact, its evidence nodes and their source
documents, for a position its supportedBy effects (with their evidence), the articles they sit on, and the
provision changes of those articles. Reads the committed-or-not files in data/laws/ of the working tree.
Usage: .venv/bin/python docs/review/dump_fact.py id/position/LVA/administrative-data-access [more ...]"""
import sys
from pathlib import Path
from rdflib import Graph, URIRef, RDF
BASE = "https://w3id.org/nso-partnership/"
NSP = BASE + "ontology#"
g = Graph()
for f in sorted(Path("data/laws").glob("*.ttl")) + sorted(Path("data/laws/articles").glob("*.ttl")):
    g.parse(f, format="turtle")
g.bind("nsp", NSP)
FOLLOW = {NSP + p for p in ("evidence", "supportedBy", "sourceDocument", "grantedBy", "locatesProvision",
                             "amendingProvision", "changedProvision", "affects")}

def node(iri: str) -> URIRef:
    return URIRef(iri if iri.startswith("http") else BASE + iri)

for arg in sys.argv[1:]:
    seen, todo, out = set(), [node(arg)], Graph()
    out.namespace_manager = g.namespace_manager
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in g.predicate_objects(n):
            out.add((n, p, o))
            if isinstance(o, URIRef) and str(p) in FOLLOW and str(o).startswith(BASE):
                todo.append(o)
        if (n, RDF.type, URIRef("http://data.europa.eu/eli/ontology#LegalResourceSubdivision")) in g:
            for s, p in g.subject_predicates(n):  # provision changes pointing at the article
                if (s, RDF.type, URIRef(NSP + "ProvisionChange")) in g:
                    todo.append(s)
    print(f"#### {arg}\n" + out.serialize(format="turtle", base=BASE))
