"""Shared fixtures: a minimal project copy for bad-input tests, the real CLI in a subprocess, and a built store."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KG = [sys.executable, "-m", "kg.cli"]


def run_kg(*args: str, root: Path = ROOT, data_dir: Path | None = None, env: dict | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real `kg` command line in a subprocess."""
    full_env = {**os.environ, "KG_ROOT": str(root), **(env or {})}
    if data_dir is not None:
        full_env["KG_DATA_DIR"] = str(data_dir)
    return subprocess.run([*KG, *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=root)


def make_project(dest: Path, data_files: list[str] | None = None) -> Path:
    """A project with the real ontology, shapes, vocabularies and queries, and only the given data files."""
    for top in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / top, dest / top)
    shutil.copytree(ROOT / "data" / "vocab", dest / "data" / "vocab")
    for rel in data_files if data_files is not None else ["data/laws/can.ttl"]:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, dest / rel)
    return dest


def write_csv(path: Path, rows: list[dict[str, str]], fieldnames: list[str]) -> Path:
    """Rows as a CSV file with a header (the form `kg import` reads)."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return path


def built(project: Path, data_dir: Path) -> tuple[Path, Path]:
    """`kg build` of a fixture project by the real CLI (it must succeed): (project root, data directory)."""
    result = run_kg("build", root=project, data_dir=data_dir)
    assert result.returncode == 0, result.stderr + result.stdout
    return project, data_dir


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """Real ontology, shapes and vocabularies plus the Canada seed law: stable while data/ grows."""
    return make_project(tmp_path / "project")


@pytest.fixture(scope="session")
def shipped_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped graph built once into a temporary data directory (returns the data directory)."""
    data_dir = tmp_path_factory.mktemp("store")
    result = run_kg("build", data_dir=data_dir)
    assert result.returncode == 0, result.stderr + result.stdout
    return data_dir


@pytest.fixture(scope="session")
def store(shipped_store: Path):
    from kg.store import open_store
    return open_store(shipped_store)


@pytest.fixture(scope="module")
def http(server):
    """An HTTP client on the `server` fixture of the requesting test module (a real `kg serve` process)."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def mutate_ntriples(lines: list[str], kind: str, rng, subjects: list[str], types: list[str]) -> list[str]:
    """A copy of N-Triples lines with one seeded mutation: "drop" a line, "retype" a subject (add a type
    from `types`), or "redirect" a line's object to another subject."""
    mutated = list(lines)
    i = rng.randrange(len(mutated))
    s, p, _ = mutated[i][:-2].split(" ", 2)
    if kind == "drop":
        del mutated[i]
    elif kind == "retype":
        subject = rng.choice(subjects)
        mutated.append(f"{subject} {RDF_TYPE} <{types[0] if len(types) == 1 else rng.choice(types)}> .")
    else:
        mutated[i] = f"{s} {p} {rng.choice(subjects)} ."
    return mutated
