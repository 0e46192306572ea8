"""`kg import` lands whole or not at all across every file it writes: the import is killed (os._exit
in a child process) at each of its renames in turn, and after recovery data/ is exactly the old tree
or exactly the new one; `kg build` completes a killed import before loading and refuses leftover
`.part` files, so it never loads a mix."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, make_project, run_kg, write_csv
from kg import importer

# The child runs the real `kg import` with os.replace / os.rename counting their calls: the k-th call
# exits at once with status 137 (as a SIGKILL would), before it renames anything.
CHILD = """
import os, sys
from kg.cli import main
import kg.importer

k, calls = int(sys.argv[1]), [0]
def dying(real):
    def call(*args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            os._exit(137)
        return real(*args, **kwargs)
    return call
os.replace, os.rename = dying(os.replace), dying(os.rename)
main(sys.argv[2:], prog_name="kg")
"""


def _rows(version: int) -> list[dict[str, str]]:
    """Version 1: two cases and a new organisation; version 2 changes both cases, adds a third and
    another organisation (so it rewrites data/organisations.ttl too)."""
    with open(FIXTURES / "cases-new-user.csv", newline="", encoding="utf-8") as handle:
        base = next(csv.DictReader(handle))
    ids = ["NEWUSER-ONE", "NEWUSER-TWO"] + (["NEWUSER-THREE"] if version == 2 else [])
    out = []
    for i, cid in enumerate(ids):
        row = dict(base, id=cid, title=f"Fixture case {cid}, version {version}")
        if version == 2 and i == 0:
            row["partners"] = "Canadian fixture bakeries (fixture)"
        out.append(row)
    return out


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    return write_csv(path, rows, importer.COLUMNS)


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under data/, hidden ones included, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "data").rglob("*")) if p.is_file()}


def _import(root: Path, csv_path: Path, kill_at: int | None = None) -> subprocess.CompletedProcess:
    args = ["import", str(csv_path), "--allow-new-organisations"]
    if kill_at is None:
        return run_kg(*args, root=root)
    env = {**os.environ, "KG_ROOT": str(root)}
    return subprocess.run([sys.executable, "-c", CHILD, str(kill_at), *args], env=env, cwd=root,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The project after version 1 (old) and after version 2 (new), and the CSV of version 2."""
    base = tmp_path_factory.mktemp("atomic")
    old = make_project(base / "old", ["data/laws/can.ttl", "data/organisations.ttl"])
    assert _import(old, _csv(base / "v1.csv", _rows(1))).returncode == 0
    new = base / "new"
    shutil.copytree(old, new)
    v2 = _csv(base / "v2.csv", _rows(2))
    result = _import(new, v2)
    assert result.returncode == 0, result.stderr
    return {"old": old, "old_tree": _tree(old), "new_tree": _tree(new), "v2": v2, "base": base}


def test_the_new_version_changes_every_kind_of_file(trees):
    old, new = trees["old_tree"], trees["new_tree"]
    changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    assert changed == {"data/organisations.ttl", "data/cases/NEWUSER-ONE.ttl", "data/cases/NEWUSER-TWO.ttl",
                       "data/cases/NEWUSER-THREE.ttl"}


# 4 files: the commit rename, one rename per file, the rename of the finished journal = 6 renames;
# k = 7 is never reached (the import completes under the counting wrappers).
@pytest.mark.parametrize("k", range(1, 8))
def test_a_kill_at_any_rename_leaves_old_or_new_after_recovery(trees, tmp_path: Path, k: int):
    project = tmp_path / "project"
    shutil.copytree(trees["old"], project)
    result = _import(project, trees["v2"], kill_at=k)
    assert result.returncode == (0 if k == 7 else 137), result.stderr
    killed = _tree(project)
    committed = any(p.startswith(f"data/{importer.JOURNAL_DIR}/") for p in killed)
    assert importer.recover_import(project) >= 0
    after = _tree(project)
    assert after in (trees["old_tree"], trees["new_tree"])
    # before the commit rename nothing has changed; after it, the import is completed by the recovery
    assert after == (trees["new_tree"] if k > 1 else trees["old_tree"])
    if committed:
        assert killed != after  # the recovery did the rest of the work


def test_kg_build_completes_a_killed_import_before_loading(trees, tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(trees["old"], project)
    assert _import(project, trees["v2"], kill_at=3).returncode == 137  # 1 of the 4 files renamed
    mixed = _tree(project)
    assert any(mixed.get(p) == trees["new_tree"][p] for p in trees["new_tree"] if not p.startswith("data/."))
    assert any(mixed.get(p) == trees["old_tree"].get(p) != trees["new_tree"][p] for p in trees["new_tree"])
    data_dir = tmp_path / "store"
    result = run_kg("build", root=project, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert _tree(project) == trees["new_tree"]
    answer = run_kg("query", str(_titles_query(tmp_path)), "--format", "csv", root=project, data_dir=data_dir)
    assert answer.returncode == 0, answer.stderr
    titles = sorted(r["t"] for r in csv.DictReader(answer.stdout.splitlines()))
    assert titles == [f"Fixture case NEWUSER-{n}, version 2" for n in ("ONE", "THREE", "TWO")]


def _titles_query(tmp_path: Path) -> Path:
    path = tmp_path / "titles.rq"
    path.write_text("SELECT ?t WHERE { ?c a <https://w3id.org/nso-partnership/ontology#PartnershipCase> ; "
                    "<http://purl.org/dc/terms/title> ?t }\n", encoding="utf-8")
    return path


def test_kg_build_refuses_leftover_part_files(trees, tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(trees["old"], project)
    leftover = project / "data" / "cases" / ".NEWUSER-ONE.ttl.x1y2.part"  # as the earlier write_all left them
    leftover.write_text("half", encoding="utf-8")
    data_dir = tmp_path / "store"
    result = run_kg("build", root=project, data_dir=data_dir)
    assert result.returncode == 1
    assert "data/cases/.NEWUSER-ONE.ttl.x1y2.part: left by an interrupted write" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (data_dir / "current").exists()


def test_a_journal_that_was_never_committed_is_discarded(trees, tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(trees["old"], project)
    staging = project / "data" / f"{importer.JOURNAL_DIR}.new-1-abcd"  # killed while staging
    staging.mkdir()
    (staging / "0.staged").write_text("@prefix broken", encoding="utf-8")
    assert importer.recover_import(project) == 0
    assert _tree(project) == trees["old_tree"]


def test_a_full_disk_while_staging_is_one_line_and_changes_nothing(trees, tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(trees["old"], project)
    child = ("import errno, os, sys\nfrom kg.cli import main\n"
             "def full(fd):\n    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
             "os.fsync = full\nmain(sys.argv[1:], prog_name='kg')\n")
    result = subprocess.run([sys.executable, "-c", child, "import", str(trees["v2"]), "--allow-new-organisations"],
                            env={**os.environ, "KG_ROOT": str(project)}, cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (f"Error: cannot write the imported files under {project.resolve() / 'data'}: "
                                              "No space left on device; nothing was written")
    assert _tree(project) == trees["old_tree"]
