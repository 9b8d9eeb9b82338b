"""Stand-ins for outside services the tests talk to over a real socket."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@contextmanager
def group_robot() -> Iterator[dict[str, Any]]:
    """A DingTalk/WeCom-style group robot on localhost: ``received`` lists each post's JSON body and content type."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API names it
            length = int(self.headers["Content-Length"])
            received.append({"body": json.loads(self.rfile.read(length)), "type": self.headers["Content-Type"]})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=t", "received": received}
    finally:
        server.shutdown()
        server.server_close()
