"""The concept note's own world (data/concept-note/): exact answers of SPARQL over the shipped graph."""
from __future__ import annotations

import pytest

from kg import BASE, GRAPH

ID = BASE + "id/"
NOTE = ID + "document/ces-concept-note"
NOTE_GRAPH = GRAPH + "data/concept-note/ces-concept-note"
SURVEY_GRAPH = GRAPH + "data/concept-note/survey"
PREFIXES = """PREFIX nsp: <https://w3id.org/nso-partnership/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def select(store, query: str) -> list[tuple]:
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    variables = result.variables
    return [tuple(None if sol[v] is None else sol[v].value for v in variables) for sol in result]


def test_the_papers_the_note_cites(store):
    rows = select(store, f"""
        SELECT ?id ?title ?creator WHERE {{
          <{NOTE}> dct:references ?doc . ?doc dct:title ?title ; dct:creator ?creator .
          OPTIONAL {{ ?doc dct:identifier ?id }} }} ORDER BY ?id ?creator""")
    assert rows == [
        (None, "Public-Private Partnerships for Statistics: Lessons Learned, Future Steps", "Johannes Jütting"),
        (None, "Public-Private Partnerships for Statistics: Lessons Learned, Future Steps", "Nicholas Robin"),
        (None, "Public-Private Partnerships for Statistics: Lessons Learned, Future Steps", "Thilo Klein"),
        ("ECE/CES/2016/16", "Partnerships in data production", ID + "org/GBR-ONS"),
        ("ECE/CES/2016/3", "In-depth review of strategic partnerships with the information industry", ID + "org/CAN-STATCAN"),
    ]
    # and the wiki, which has no title of its own
    assert select(store, f"""SELECT ?page WHERE {{ <{NOTE}> dct:references ?d . ?d foaf:page ?page
        FILTER NOT EXISTS {{ ?d dct:title ?t }} }}""") == [
        ("http://www1.unece.org/stat/platform/display/VALUE+Going+further+with+strategic+partners",)]


def test_the_two_proposed_steps(store):
    rows = select(store, f"""
        SELECT ?n ?label WHERE {{ ?step a prov:Plan ; dct:isPartOf <{NOTE}> ; skos:notation ?n ; rdfs:label ?label }}
        ORDER BY ?n""")
    assert rows == [
        ("1", "Step 1: overview of difficulties with building partnerships (gap analysis)"),
        ("2", "Step 2: survey of statistical offices and a 2-day seminar"),
    ]
    parts = select(store, f"""
        SELECT ?part ?type WHERE {{ <{NOTE}/step/2> dct:hasPart ?part . ?part a ?type .
          FILTER(?type IN (nsp:Survey, nsp:Meeting)) }} ORDER BY ?part""")
    assert parts == [
        (ID + "meeting/ces-proposed-seminar-strategic-partnerships", "https://w3id.org/nso-partnership/ontology#Meeting"),
        (ID + "survey/ces-strategic-partnerships", "https://w3id.org/nso-partnership/ontology#Survey"),
    ]


def test_the_group_that_prepared_the_note(store):
    members = select(store, f"""SELECT ?m WHERE {{ <{NOTE}> dct:creator ?g . ?g a nsp:WorkingGroup ; org:hasMember ?m }}
                                ORDER BY ?m""")
    assert [m for (m,) in members] == [ID + f"org/{k}" for k in
                                       ("CAN-STATCAN", "GBR-ONS", "INT-ESTAT", "INT-UNECE", "MEX-INEGI", "NLD-CBS")]
    # the offices declared in data/laws keep their types there; the note's graph declares only its own bodies
    typed_here = select(store, f"""SELECT DISTINCT ?m WHERE {{ <{ID}org/INT-CES-SP-GROUP> org:hasMember ?m .
        GRAPH <{NOTE_GRAPH}> {{ ?m a ?t }} }} ORDER BY ?m""")
    assert typed_here == [(ID + "org/GBR-ONS",), (ID + "org/INT-UNECE",)]
    for key in ("CAN-STATCAN", "MEX-INEGI", "NLD-CBS", "INT-ESTAT"):
        assert select(store, f"""SELECT ?g WHERE {{ GRAPH ?g {{ <{ID}org/{key}> a ?t }}
            FILTER(STRSTARTS(STR(?g), "{GRAPH}data/laws/")) }}"""), key


def test_ces_bodies_and_task_forces(store):
    rows = select(store, f"""SELECT ?label WHERE {{ ?b org:subOrganizationOf <{ID}org/INT-CES> ; a nsp:WorkingGroup ;
        skos:prefLabel ?label }} ORDER BY ?label""")
    assert [r[0] for r in rows] == [
        "Bureau of the Conference of European Statisticians",
        "Group of countries and organisations that prepared the CES concept note on strategic partnerships",
        "Task Force on common elements of statistical legislation",
        "Task Force on the Value of Official Statistics",
    ]
    assert select(store, f"SELECT ?p WHERE {{ <{ID}org/INT-CES> org:subOrganizationOf ?p }}") == [(ID + "org/INT-UNECE",)]
    assert select(store, f"SELECT ?t WHERE {{ GRAPH <{NOTE_GRAPH}> {{ <{ID}org/INT-UNECE> a ?t }} }}") == [
        ("https://w3id.org/nso-partnership/ontology#InternationalStatisticalOrganization",)]


def test_the_meetings_in_order(store):
    rows = select(store, f"""SELECT ?date ?who ?used WHERE {{ GRAPH <{NOTE_GRAPH}> {{ ?m a nsp:Meeting ; dct:date ?date ;
        prov:wasAssociatedWith ?who . OPTIONAL {{ ?m prov:used/dct:identifier ?used }} }} }} ORDER BY ?date""")
    assert rows == [
        ("2015-10", ID + "org/INT-CES-BUREAU", "ECE/CES/2016/3"),
        ("2016-04", ID + "org/INT-CES", "ECE/CES/2016/16"),
        ("2016-10", ID + "org/INT-CES-BUREAU", None),
    ]
    assert select(store, f"SELECT ?t WHERE {{ <{ID}meeting/ces-seminar-2016-strategic-partnerships> dct:title ?t }}") == [
        ("Strategic partnerships",)]


@pytest.mark.parametrize("graph", [NOTE_GRAPH, SURVEY_GRAPH])
def test_every_resource_carries_its_source(store, graph: str):
    unsourced = select(store, f"""SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s a ?t }}
        FILTER(?t NOT IN (nsp:Evidence, nsp:SourceDocument))
        FILTER NOT EXISTS {{ ?s dct:source ?src . ?src a nsp:SourceDocument }} }}""")
    assert unsourced == []
    # every evidence node of the note cites the concept note with a paragraph locator
    rows = select(store, f"""SELECT DISTINCT ?src WHERE {{ GRAPH <{NOTE_GRAPH}> {{ ?e a nsp:Evidence ;
        nsp:sourceDocument ?src ; nsp:locator ?loc }} }}""")
    assert rows == [(ID + "source/ces-concept-note",)]
    assert select(store, f"SELECT ?p WHERE {{ <{ID}source/ces-concept-note> foaf:page ?p }}") == [(NOTE,)]


def test_the_questionnaire_matches_the_importer_columns(store):
    from kg.survey import COLUMNS

    rows = select(store, f"""SELECT ?n ?column ?scheme WHERE {{ ?q nsp:inSurvey <{ID}survey/ces-strategic-partnerships> ;
        a nsp:SurveyQuestion ; skos:notation ?n ; dct:identifier ?column . OPTIONAL {{ ?q rdfs:seeAlso ?scheme }} }}
        ORDER BY ?n""")
    assert rows == [
        ("1", "main_challenge", None),
        ("2", "partnership_types", BASE + "vocab/partnership-type"),
        ("3", "difficulty_categories", BASE + "vocab/difficulty-category"),
    ]
    assert {c for _, c, _ in rows} <= set(COLUMNS)
