"""A small threaded HTTP server for local copies of the crawled sites.

Used by the tests, the demo and the benchmarks, so nothing ever needs the internet.
Pages are a mutable ``{path: Page}`` mapping; the server answers conditional requests
(``ETag`` / ``Last-Modified``) like the real sites, keeps a log of every request, and
can be told to misbehave (``Page.status``, ``Page.delay``, ``Page.headers``, ``Page.fault``,
a huge streamed body with ``Page.repeat``, and ``Page.then`` for a page that fails a few
times before it works).
"""

from __future__ import annotations

import hashlib
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Page:
    """One resource: body, status, content type, extra headers and an optional delay.

    Faults: ``fault="reset"`` drops the connection without an answer (TCP reset),
    ``fault="truncate"`` announces the whole body but sends half of it; ``repeat`` sends
    the body that many times over (a huge page without holding it in memory),
    ``chunked`` streams it without a Content-Length; ``then`` answers like this page
    ``times`` times, then like ``then`` (``Page("", status=503, then=Page(html))``).
    """

    body: bytes | str
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    validators: bool = True
    modified: float = field(default_factory=lambda: 1_700_000_000.0)
    fault: str = ""
    repeat: int = 1
    chunked: bool = False
    then: Page | None = None
    times: int = 1
    served: int = field(default=0, compare=False, repr=False)

    @property
    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.data).hexdigest()[:16] + '"'


@dataclass
class Hit:
    """One request the server answered."""

    method: str
    path: str
    status: int
    size: int
    conditional: bool
    at: float = 0.0  # time.monotonic() when the request arrived




class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away is no news
            super().handle_error(request, client_address)


class LocalSite:
    """Serve ``pages`` on 127.0.0.1; use as a context manager or call start()/stop()."""

    def __init__(self, pages: dict[str, Page] | None = None, port: int = 0):
        self.pages: dict[str, Page] = dict(pages or {})
        self.log: list[Hit] = []
        self._lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                site._serve(self, head)

        self.server = _Server(("127.0.0.1", port), _Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> LocalSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def hits(self, prefix: str = "", status: int | None = None) -> list[Hit]:
        """Requests whose path starts with ``prefix`` (and answered with ``status``)."""
        with self._lock:
            return [h for h in self.log if h.path.startswith(prefix)
                    and (status is None or h.status == status)]

    def _serve(self, handler: BaseHTTPRequestHandler, head: bool) -> None:
        arrived = time.monotonic()
        target = handler.path
        path = urlsplit(target).path
        page = self.pages.get(target) or self.pages.get(path)
        if page is None:
            page = Page("<html><body><h1>Page not found</h1></body></html>", status=404,
                        validators=False)
        with self._lock:
            while page.then is not None and page.served >= page.times:
                page = page.then
            page.served += 1
        if page.delay:
            time.sleep(page.delay)
        conditional = bool(handler.headers.get("If-None-Match") or
                           handler.headers.get("If-Modified-Since"))
        hit = Hit(handler.command, target, page.status, 0, conditional, arrived)
        with self._lock:
            self.log.append(hit)
        if page.fault == "reset":
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            handler.close_connection = True
            hit.status = 0
            return
        status, data = page.status, page.data
        headers = {"Content-Type": page.content_type, **page.headers}
        if page.validators and status == 200:
            headers["ETag"] = page.etag
            headers["Last-Modified"] = formatdate(page.modified, usegmt=True)
            if handler.headers.get("If-None-Match") == page.etag:
                status, data = 304, b""
        hit.status = status
        if head or status == 304:
            chunks: list[bytes] = []
        elif page.fault == "truncate":
            chunks = [data[: len(data) // 2]]
            handler.close_connection = True
        else:
            chunks = [data] * page.repeat
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            if page.chunked:
                handler.send_header("Transfer-Encoding", "chunked")
            else:
                handler.send_header("Content-Length", str(len(data) * (1 if status == 304 else page.repeat)))
            handler.end_headers()
            for chunk in chunks:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if page.chunked else chunk)
                hit.size += len(chunk)
            if page.chunked and not head and status != 304:
                handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
