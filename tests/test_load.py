"""Load step and bad input: each bad file gives one clear message naming the file and line, and the store is unchanged."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, run_kg
from kg import GRAPH
from kg.sources import LoadError, discover, graph_iri, parse, source_for


def test_every_ontology_and_data_file_is_discovered_with_its_own_graph():
    sources = discover(ROOT)
    paths = {s.path.relative_to(ROOT).as_posix() for s in sources}
    assert "ontology/nsp.ttl" in paths and "ontology/align.ttl" in paths
    assert "data/laws/can.ttl" in paths and "data/vocab/fpos.ttl" in paths
    assert len({s.graph for s in sources}) == len(sources)
    assert graph_iri(ROOT / "data/laws/can.ttl", ROOT) == GRAPH + "data/laws/can"


@pytest.mark.parametrize("suffix,content", [
    (".nt", '<https://w3id.org/nso-partnership/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n'),
    (".jsonld", '{"@id": "https://w3id.org/nso-partnership/id/x", "http://www.w3.org/2000/01/rdf-schema#label": "x"}'),
    (".trig", '<https://w3id.org/nso-partnership/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n'),
])
def test_each_supported_format_loads_into_the_file_graph(tmp_path: Path, suffix: str, content: str):
    path = tmp_path / f"one{suffix}"
    path.write_text(content)
    quads = parse(source_for(path, tmp_path))
    assert len(quads) == 1
    assert quads[0].graph_name.value == GRAPH + "one"


BAD_FILES = {
    "malformed-turtle": ('@prefix ex: <http://example.org/> .\n\nex:a ex:b ex:c\nex:d ex:e ex:f .\n', 4, None),
    "unknown-prefix": ('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nfoo:a ex:b ex:c .\n', 3, "foo"),
    "not-rdf": ("<!DOCTYPE html>\n<html><body>Not RDF at all</body></html>\n", 1, None),
    "bad-iri": ('<http://example.org/a> <http://example.org/b> <http://exa mple.org/c> .\n', 1, "IRI"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_named_with_its_line_and_nothing_is_written(mini_project: Path, tmp_path: Path, name: str):
    data_dir = tmp_path / "store"
    assert run_kg("build", root=mini_project, data_dir=data_dir).returncode == 0
    before = (data_dir / "current").resolve()

    content, line, words = BAD_FILES[name]
    (mini_project / "data" / "bad.ttl").write_text(content)
    result = run_kg("build", root=mini_project, data_dir=data_dir)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    expected_where = "data/bad.ttl" + (f":{line}:" if line else ":")
    assert expected_where in result.stderr, result.stderr
    if words:
        assert words in result.stderr
    assert "Nothing was written" in result.stderr
    assert (data_dir / "current").resolve() == before


@pytest.mark.parametrize("content", ["", "@prefix ex: <http://example.org/> .\n", "# only a comment\n"])
def test_a_valid_file_with_no_triples_builds_with_a_warning(mini_project: Path, tmp_path: Path, content: str):
    """Valid RDF with no statements (the W3C suites have several) is not an error: the build goes on and says so."""
    (mini_project / "data" / "empty.ttl").write_text(content)
    result = run_kg("build", root=mini_project, data_dir=tmp_path / "store")
    assert result.returncode == 0, result.stderr
    assert "data/empty.ttl: warning: file holds no RDF statements" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path):
    path = tmp_path / "latin1.ttl"
    path.write_bytes('@prefix ex: <http://example.org/> .\nex:a ex:b "caf\xe9" .\n'.encode("latin-1"))
    with pytest.raises(LoadError) as err:
        parse(source_for(path, tmp_path))
    assert err.value.line == 2 and "UTF-8" in str(err.value)


def test_unknown_extension_is_refused(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n")
    with pytest.raises(LoadError, match="unknown RDF file extension"):
        source_for(path, tmp_path)
