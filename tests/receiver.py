"""A local HTTP receiver on 127.0.0.1 that records what it gets and can be told
to fail: the stand-in for a company's webhook endpoint."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self.status = 200
        self.headers: dict[str, str] = {}
        self.delay = 0.0  # seconds between recording a request and answering it
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status, extra = receiver.status, dict(receiver.headers)
                    delay = receiver.delay
                    if 200 <= status < 300:
                        receiver.received.append({
                            "body": json.loads(raw), "raw": raw,
                            "headers": {k: v for k, v in self.headers.items()},
                        })
                if delay:  # recorded but not yet answered: a sender dying now resends
                    time.sleep(delay)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def fail_with(self, status: int, **headers):
        with self.lock:
            self.status, self.headers = status, headers

    def recover(self):
        self.fail_with(200)

    def bodies(self) -> list[dict]:
        with self.lock:
            return [r["body"] for r in self.received]
