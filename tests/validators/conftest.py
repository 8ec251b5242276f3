"""A small scripted HTTP server that stands in for the API server, for answers a real one gives
rarely (429, 500, a timeout, a cut connection). tests/live covers the real thing."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

# status, body (dict → JSON, str → text, bytes → as they are); status 0 hangs up without answering.
Answer = tuple[int, Any]
HANG_UP = 0


class Script:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[dict[str, list[str]], Any], Answer]] = {}
        self.requests: list[dict[str, Any]] = []

    def on(
        self, method: str, path: str, answer: Answer | Callable[[dict[str, list[str]], Any], Answer]
    ) -> None:
        self.routes[(method, path)] = answer if callable(answer) else (lambda query, body: answer)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            query = parse_qs(url.query)
            script.requests.append(
                {
                    "method": method,
                    "path": url.path,
                    "query": query,
                    "body": body,
                    "headers": dict(self.headers),
                }
            )
            route = script.routes.get((method, url.path))
            status, payload = (
                route(query, body) if route else (404, {"kind": "Status", "message": "not found"})
            )
            if status == HANG_UP:
                self.close_connection = True
                self.connection.close()
                return
            if isinstance(payload, bytes):
                data, kind = payload, "application/octet-stream"
            elif isinstance(payload, str):
                data, kind = payload.encode(), "text/plain"
            else:
                data, kind = json.dumps(payload).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the timeout test hangs up on purpose; the late answer has nowhere to go

    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()
