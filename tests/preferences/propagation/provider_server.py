"""A local HTTP server on 127.0.0.1 that plays an email provider's API: it records each
call (method, path, headers, JSON or form body) and answers from a script, then 200."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class ProviderServer:
    def __init__(self):
        self.calls: list[dict] = []
        self.script: list[tuple] = []  # (status, json body, headers, delay) answered in order
        # (method, path prefix) -> (status, json body, headers, delay), answered every time
        self.answers: dict[tuple, tuple] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                kind = self.headers.get("Content-Type", "")
                body = (json.loads(raw) if raw and "json" in kind
                        else {k: v[0] for k, v in parse_qs(raw.decode()).items()} if raw
                        else None)
                with server.lock:
                    server.calls.append({"method": self.command, "path": self.path,
                                         "headers": dict(self.headers.items()), "body": body})
                    answer = server.script.pop(0) if server.script else next(
                        (a for (m, p), a in server.answers.items()
                         if m == self.command and self.path.startswith(p)),
                        (200, {}, {}, 0))
                status, data, headers, delay = answer
                if delay:
                    time.sleep(delay)
                out = json.dumps(data).encode() if data is not None else b""
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def then(self, status, data=None, headers=None, delay=0.0):
        with self.lock:
            self.script.append((status, data, headers or {}, delay))
        return self
