"""Hostile input at the door: entity expansion, remote contexts, deep nesting, huge tokens, bad encodings.
Each gets a clear error naming the file (never a crash, a hang or a network call)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import run_kg
from kg.sources import LoadError, parse, source_for

RDF_OPEN = '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9))
          + ']>\n' + RDF_OPEN + '<rdf:Description rdf:about="http://example.org/a"><ex:p>&j;</ex:p>'
          '</rdf:Description></rdf:RDF>\n')
XXE = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' + RDF_OPEN
       + '<rdf:Description rdf:about="http://example.org/a"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>\n')


def _load(tmp_path: Path, name: str, content: str | bytes) -> list:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return parse(source_for(path, tmp_path))


@pytest.mark.parametrize("content", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_xml_with_a_dtd_is_refused_before_parsing(tmp_path: Path, content: str):
    started = time.perf_counter()
    with pytest.raises(LoadError, match="document type declarations") as err:
        _load(tmp_path, "evil.rdf", content)
    assert err.value.line == 2
    assert time.perf_counter() - started < 1  # no expansion happened


def test_plain_rdf_xml_still_loads(tmp_path: Path):
    quads = _load(tmp_path, "ok.rdf", '<?xml version="1.0"?>\n' + RDF_OPEN
                  + '<rdf:Description rdf:about="http://example.org/a"><ex:p>v</ex:p></rdf:Description></rdf:RDF>\n')
    assert len(quads) == 1


def test_remote_jsonld_context_is_refused_not_fetched(tmp_path: Path):
    doc = '{"@context": "http://203.0.113.9/ctx.jsonld", "@id": "http://example.org/a", "name": "x"}'
    with pytest.raises(LoadError, match="remote JSON-LD @context 'http://203.0.113.9/ctx.jsonld' is not fetched"):
        _load(tmp_path, "remote.jsonld", doc)


def test_shipped_jsonld_context_is_inlined(tmp_path: Path):
    doc = ('{"@context": "https://w3id.org/nso-partnership/context.jsonld", '
           '"@id": "id/org/INT-X", "skos:prefLabel": "X"}')
    quads = _load(tmp_path, "local.jsonld", doc)
    assert [(q.subject.value, q.predicate.value) for q in quads] == [
        ("https://w3id.org/nso-partnership/id/org/INT-X", "http://www.w3.org/2004/02/skos/core#prefLabel")]


def test_deeply_nested_turtle_parses_without_crashing(tmp_path: Path):
    nested = "@prefix ex: <http://example.org/> .\nex:a ex:p " + "[ ex:p " * 50_000 + "ex:o" + " ]" * 50_000 + " .\n"
    assert len(_load(tmp_path, "deep.ttl", nested)) == 50_001


def test_deeply_nested_jsonld_is_a_clear_error(tmp_path: Path):
    doc = '{"@id": "http://example.org/a", "http://example.org/p": ' + '{"http://example.org/p": ' * 100_000 + '"x"' + "}" * 100_001
    with pytest.raises(LoadError, match="nested too deeply"):
        _load(tmp_path, "deep.jsonld", doc)


def test_huge_literal_is_a_clear_error(tmp_path: Path):
    with pytest.raises(LoadError, match="16 MB"):
        _load(tmp_path, "huge.nt", '<http://example.org/a> <http://example.org/p> "' + "x" * 20_000_000 + '" .\n')


@pytest.mark.parametrize("content,words", [
    ('<http://example.org/a> <http://example.org/p> "\\q" .\n', "escape"),
    ('<http://example.org/a> <http://example.org/p> "\\uD800" .\n', "not a valid unicode"),
    ("\ufeff@prefix ex: <http://example.org/> .\nex:a ex:p ex:o .\n".encode("utf-16"), "UTF-8"),
], ids=["bad-escape", "lone-surrogate", "utf-16"])
def test_bad_unicode_and_wrong_encodings_are_clear_errors(tmp_path: Path, content, words: str):
    with pytest.raises(LoadError, match=words):
        _load(tmp_path, "bad.nt" if isinstance(content, str) else "bad.ttl", content)


def test_hostile_file_in_a_build_gives_no_traceback(mini_project: Path, tmp_path: Path):
    (mini_project / "data" / "evil.rdf").write_text(LAUGHS)
    result = run_kg("build", root=mini_project, data_dir=tmp_path)
    assert result.returncode == 1
    assert "data/evil.rdf:2: XML document type declarations" in result.stderr
    assert "Traceback" not in result.stderr


def test_oversized_files_are_refused(tmp_path: Path, monkeypatch):
    from kg import sources

    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1000)
    with pytest.raises(LoadError, match="larger than the limit of 1,000"):
        _load(tmp_path, "big.nt", '<http://example.org/a> <http://example.org/p> "' + "x" * 2000 + '" .\n')


def test_xlsx_xml_is_parsed_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("content,words", [
    (b"id,title\n\xff\xfe\x00bad\n", "not UTF-8"),
    (b"PK\x03\x04 not really a workbook", "cannot read the file"),
], ids=["latin-bytes-csv", "corrupt-xlsx"])
def test_unreadable_imports_are_clear_errors(tmp_path: Path, content: bytes, words: str):
    from kg.importer import ImportError_, read_rows

    path = tmp_path / ("cases.xlsx" if content.startswith(b"PK") else "cases.csv")
    path.write_bytes(content)
    with pytest.raises(ImportError_, match=words):
        read_rows(path)


def test_oversized_imports_are_refused(tmp_path: Path, monkeypatch):
    from kg import importer

    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 100)
    path = tmp_path / "cases.csv"
    path.write_text(",".join(importer.COLUMNS) + "\n" + "x," * 200 + "\n")
    with pytest.raises(importer.ImportError_, match="larger than the limit of 100"):
        importer.read_rows(path)


# --- .xlsx limits (kg/importer.py check_xlsx): refused before openpyxl reads anything ---

def _workbook(path: Path, cells: dict[str, str] | None = None) -> Path:
    """A real workbook with the import header and one data row (plus `cells`, e.g. {"A1048576": "x"})."""
    import openpyxl

    from kg.importer import COLUMNS

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    sheet.append(["XL-CASE-ONE", "A title"] + [""] * (len(COLUMNS) - 2))
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    book.save(path)
    return path


def _bomb(path: Path, megabytes: int) -> Path:
    """A valid workbook whose sheet XML is a highly compressible repeat of `megabytes` MB of rows."""
    import zipfile

    small = _workbook(path.with_name("small.xlsx"))
    row = b'<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>'
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            entry = zipfile.ZipInfo(info.filename)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(entry, "w", force_zip64=True) as out:
                out.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                block = row * ((1 << 20) // len(row))
                for _ in range(megabytes):
                    out.write(block)
                out.write(b"</sheetData></worksheet>")
    return path


def test_a_legitimate_xlsx_is_read(tmp_path: Path):
    from kg.importer import read_rows

    rows = read_rows(_workbook(tmp_path / "cases.xlsx"))
    assert [(r["id"], r["title"], r["countries"]) for r in rows] == [("XL-CASE-ONE", "A title", "")]


def test_an_xlsx_zip_bomb_is_refused_before_reading_with_little_memory(tmp_path: Path):
    import tracemalloc

    from kg.importer import ImportError_, read_rows

    path = _bomb(tmp_path / "bomb.xlsx", 64)  # 64 MB of sheet XML in a file of well under 1 MB
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(ImportError_, match=r"bomb\.xlsx: the workbook expands to [0-9,]+ bytes, more than the limit of 52,428,800"):
            read_rows(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # the sheet was never expanded


def test_an_entry_that_expands_too_many_times_is_refused(tmp_path: Path):
    from kg.importer import ImportError_, read_rows

    with pytest.raises(ImportError_, match=r"entry xl/worksheets/sheet1\.xml expands [0-9,]+ times \(limit 100:1\)"):
        read_rows(_bomb(tmp_path / "dense.xlsx", 4))  # under the size limit, but 4 MB from a few KB


@pytest.mark.parametrize("cells,limit,words", [
    ({"A1048576": "x"}, {}, "more than 10,000 rows"),  # openpyxl would yield a million padded rows
    ({f"A{n}": "x" for n in range(3, 40)}, {"XLSX_MAX_ROWS": 30}, "more than 30 rows"),
    ({"XFD3": "x", "XFD4": "x"}, {"XLSX_MAX_CELLS": 20_000}, "more than 20,000 cells"),  # 16,384 padded cells a row
], ids=["far-row", "many-rows", "far-columns"])
def test_xlsx_rows_and_cells_are_counted_before_reading(tmp_path: Path, monkeypatch, cells, limit, words):
    from kg import importer

    for name, value in limit.items():
        monkeypatch.setattr(importer, name, value)
    with pytest.raises(importer.ImportError_, match=r"cases\.xlsx: " + words):
        importer.read_rows(_workbook(tmp_path / "cases.xlsx", cells))


def test_a_control_character_in_an_id_is_a_row_error_not_a_traceback(mini_project: Path, tmp_path: Path):
    import csv

    from kg.importer import COLUMNS

    path = tmp_path / "cases.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerow(["NL-OK-CASE", "fine"] + [""] * (len(COLUMNS) - 2))
        writer.writerow(["NL-\x00-EVIL", "nul"] + [""] * (len(COLUMNS) - 2))
        writer.writerow(["NL-\x1b[31m", "escape"] + [""] * (len(COLUMNS) - 2))
    result = run_kg("import", str(path), root=mini_project)
    assert result.returncode == 1
    assert "row 2, column id: contains the control character U+0000;" in result.stderr
    assert "row 3, column id: contains the control character U+001B;" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (mini_project / "data" / "cases").exists()
