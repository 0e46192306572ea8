"""`kg serve`: a linked-data site and SPARQL 1.1 Protocol endpoint over the on-disk store.

Modules: sparql.py (the protocol), pages.py (HTML pages and content negotiation for resources),
conneg.py (the one Accept parser), executor.py (queries in worker processes with a time limit and a
row cap), cache.py (answers to repeated /sparql requests), data.py (label and description look-ups),
app.py (routes and middleware).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from .. import BASE


def create_app(*args, **kwargs):
    from .app import create_app as _create
    return _create(*args, **kwargs)


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8000, timeout: float = 30.0, max_rows: int = 10_000,
          workers: int | None = None, base: str = BASE, allow_service: tuple[str, ...] = (), cache_mb: int = 32) -> None:
    """Run the server until Ctrl-C (SIGINT) or SIGTERM; the query workers are stopped on the way out."""
    import uvicorn

    from .app import create_app as _create

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    app = _create(data_dir, base=base, timeout=timeout, max_rows=max_rows, workers=workers, allow_service=allow_service,
                  cache_mb=cache_mb)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/"
    print(f"Serving the knowledge graph at {address}  (SPARQL endpoint {address}sparql, editor {address}editor)", flush=True)
    print(f"Store: {data_dir}; query limits: {timeout:g} s, {max_rows:,} rows; federated SERVICE "
          + (f"allowed to {', '.join(allow_service)}" if allow_service else "disabled")
          + (f"; answer cache {cache_mb} MB" if cache_mb else "; answer cache off") + ". Press Ctrl-C to stop.", flush=True)
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=5)
    try:
        uvicorn.Server(config).run()  # handles SIGINT/SIGTERM: stops accepting, finishes requests, runs shutdown
    except KeyboardInterrupt:  # uvicorn re-raises the captured Ctrl-C once it has shut down cleanly
        pass
    print("Server stopped.", flush=True)
