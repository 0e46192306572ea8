"""Store: the on-disk pyoxigraph store, rebuilt beside the old one and swapped in atomically."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Callable, Iterator

import pyoxigraph as ox

CURRENT = "current"
KEEP_PREVIOUS = 1  # older stores kept after a swap, so a reader of the previous store is not cut off
MANIFEST = "kg-build.json"  # what a build records about itself, inside its store directory
_held: dict[Path, int] = {}  # data directories whose build lock this process holds (how many times)


class StoreMissing(Exception):
    """No store has been built yet in the data directory."""


class BuildLocked(RuntimeError):
    """Another process is building into the same data directory."""


class StoreWriteError(Exception):
    """The new store could not be written (e.g. the disk is full); the previous store is kept."""


@contextlib.contextmanager
def build_lock(data_dir: Path) -> Iterator[None]:
    """One build at a time per data directory (a process holding the lock may take it again).

    The lock is an flock on `.lock` in the data directory, which also records the holder's pid (for
    the message a second build gets); the kernel releases it when the holder dies, even by SIGKILL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key = data_dir.resolve()
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    fd = os.open(data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)  # not truncated: the holder's pid stays
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise BuildLocked(f"another kg build is running (pid {holder or 'unknown'}) on {data_dir}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # releases the lock


def current_path(data_dir: Path) -> Path:
    """The directory of the store now in use."""
    link = data_dir / CURRENT
    if not link.exists():
        raise StoreMissing(f"no store in {data_dir}: run `kg build` first")
    return link.resolve()


def open_store(data_dir: Path) -> ox.Store:
    """Open the current store read-only (many readers may do so at once)."""
    return ox.Store.read_only(str(current_path(data_dir)))


def read_manifest(data_dir: Path) -> dict | None:
    """What the build of the current store recorded (see write_new), or None if there is no store,
    no record or an unreadable one."""
    try:
        return json.loads((current_path(data_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (StoreMissing, OSError, ValueError):
        return None


def write_new(data_dir: Path, fill: Callable[[ox.Store], None], manifest: dict | None = None,
              finish: Callable[[ox.Store, Path], None] | None = None) -> Path:
    """Create a new store directory, let `fill` load it, and swap it in only when complete.

    If `fill` raises or the process dies, `current` still points to the previous store; the
    half-written directory is removed (at once, or on the next build). `finish(store, directory)`, if
    given, runs on the filled store and may write files of its own into the new directory (kg.answers).
    `manifest` (JSON) is written
    into the store directory, after the database is closed and before the swap, so it lands with the
    store. An operating-system error while writing (a full disk: ENOSPC, EIO, ...) is a
    StoreWriteError naming the directory, with the previous store kept.
    """
    with build_lock(data_dir):
        _remove_orphans(data_dir)
        new_dir = data_dir / f"store-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            new_dir.mkdir()  # fails if it exists: a build never writes into an existing store
        except OSError as exc:
            raise StoreWriteError(f"cannot write the new store in {data_dir}: {exc.strerror or exc}") from None
        try:
            store = ox.Store(str(new_dir))
            try:
                fill(store)
                store.flush()
                store.optimize()
                if finish is not None:
                    finish(store, new_dir)
            finally:
                del store  # closes the database before it becomes visible (or is removed)
            if manifest is not None:
                _write_durably(new_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, sort_keys=True))
            _swap(data_dir, new_dir)
        except OSError as exc:
            _discard(data_dir, new_dir)
            raise StoreWriteError(f"cannot write the new store in {data_dir}: {exc.strerror or exc}") from None
        except BaseException:
            _discard(data_dir, new_dir)
            raise
        _remove_old(data_dir, new_dir)
        return new_dir


def _discard(data_dir: Path, new_dir: Path) -> None:
    """Remove a new store that failed, unless the swap to it already happened."""
    with contextlib.suppress(OSError):
        if (data_dir / CURRENT).resolve() == new_dir.resolve():
            return
    shutil.rmtree(new_dir, ignore_errors=True)


def _write_durably(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap(data_dir: Path, new_dir: Path) -> None:
    tmp_link = data_dir / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    os.symlink(new_dir.name, tmp_link)
    os.replace(tmp_link, data_dir / CURRENT)  # atomic on POSIX
    fd = os.open(data_dir, os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stores(data_dir: Path) -> list[Path]:
    return sorted((p for p in data_dir.glob("store-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)


def _remove_orphans(data_dir: Path) -> None:
    """Directories of builds that never completed (newer than the current store)."""
    try:
        current = current_path(data_dir)
    except StoreMissing:
        current = None
    for path in _stores(data_dir):
        if current is None or (path != current and path.stat().st_mtime > current.stat().st_mtime):
            shutil.rmtree(path, ignore_errors=True)


def _remove_old(data_dir: Path, keep: Path) -> None:
    old = [p for p in _stores(data_dir) if p != keep]
    for path in old[: max(0, len(old) - KEEP_PREVIOUS)]:
        shutil.rmtree(path, ignore_errors=True)
