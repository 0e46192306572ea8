"""A bounded cache of /sparql responses: the same query on the same store gives the same bytes.

The store a server reads is immutable until `kg build` swaps in a new one under a new path, so a
response is a pure function of (store path, query text, dataset parameters, requested format).
Keying on the store path makes invalidation exact: after a rebuild no old entry can match. Only
complete 200 answers are kept; entries are evicted least recently used beyond `max_bytes`.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Cached:
    media: str
    body: bytes
    headers: tuple[tuple[str, str], ...]


class ResponseCache:
    """Least-recently-used, bounded by the total size of the cached bodies (thread-safe)."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024, max_entry: int = 1024 * 1024):
        self.max_bytes, self.max_entry = max_bytes, max_entry
        self._entries: OrderedDict[tuple, Cached] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Cached | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: Cached) -> None:
        if self.max_bytes <= 0 or len(entry.body) > self.max_entry:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._entries[key] = entry
            self._size += len(entry.body)
            while self._size > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size


def request_key(store_path: object, method: str, query_string: bytes, content_type: str, body: bytes,
                accept: str, host: str) -> tuple:
    """What a /sparql answer depends on: the store and the request as sent (query, dataset, format),
    and the host it was sent to (relative IRIs in a query resolve against the endpoint's own URL)."""
    return (store_path, method, query_string, content_type, body, accept, host)


class CachedAnswers:
    """ASGI middleware: answer a repeated /sparql request from the cache before any routing or parsing.

    Misses go on to the endpoint unchanged (the body read here is replayed); the endpoint runs the
    checks and the query and puts complete answers in the cache. CORS headers are added here for
    hits, as the CORS middleware further in does for everything else.
    """

    def __init__(self, app, path: str = "/sparql", expose: str = ""):
        self.app, self.path, self.expose = app, path, expose

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] not in ("GET", "POST"):
            return await self.app(scope, receive, send)
        kg = scope["app"].state.kg
        if not kg.cache.enabled:  # --cache-mb 0: nothing to look up
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        body = b""
        if scope["method"] == "POST":
            declared = headers.get(b"content-length", b"")
            if not declared.isdigit() or int(declared) > kg.max_body:
                return await self.app(scope, receive, send)  # chunked or too large: the endpoint deals with it
            chunks, more = [], True
            while more:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return await self.app(scope, _replay(b"".join(chunks), receive), send)
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
        key = request_key(kg.store_path, scope["method"], scope["query_string"],
                          headers.get(b"content-type", b"").decode("latin-1"), body,
                          headers.get(b"accept", b"").decode("latin-1"), headers.get(b"host", b"").decode("latin-1"))
        hit = kg.cache.get(key)
        if hit is None:
            return await self.app(scope, _replay(body, receive), send)
        out = [(b"content-type", hit.media.encode()), (b"content-length", str(len(hit.body)).encode()),
               *((k.lower().encode(), v.encode()) for k, v in hit.headers), (b"x-kg-cache", b"hit")]
        if b"origin" in headers:
            out += [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", self.expose.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": hit.body})


def _replay(body: bytes, receive):
    """An ASGI receive that gives the already read `body` once, then what the client sends next."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replayed
