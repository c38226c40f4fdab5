"""The one-shot web server on 127.0.0.1 that a browser sign-in comes back to: after the
person signs in, the provider sends their browser to ``http://127.0.0.1:<port>/`` with the
authorization code (RFC 8252, "loopback interface redirection"); intake takes that one
request and stops listening.
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

PAGE = (
    "<!doctype html><meta charset=utf-8><title>intake</title>"
    "<p>{}</p><p>You may close this page and go back to intake.</p>"
)


class Loopback:
    """Listens on 127.0.0.1 (``port`` 0: any free one) until the browser comes back."""

    def __init__(self, port: int = 0) -> None:
        self.answer: dict[str, str] | None = None
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            # A browser's connection that sends nothing must not hold the one thread.
            timeout = 5.0

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                if parts.path != "/" or not ({"code", "error"} & query.keys()):
                    self._page(404, "Nothing here.")  # a favicon, a stray visit: keep waiting
                    return
                loopback.answer = query
                self._page(
                    200,
                    "intake received the sign-in."
                    if "code" in query
                    else "The sign-in did not happen.",
                )

            def _page(self, status: int, text: str) -> None:
                body = PAGE.format(text).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # the query holds the code
                pass

        self._server = HTTPServer(("127.0.0.1", port), Handler)  # OSError: the port is taken

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The query the browser came back with (``code`` and ``state``, or ``error``);
        None when it did not come back within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.answer is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._server.timeout = left
            self._server.handle_request()
        return self.answer

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
