"""A webhook receiver built only from off-the-shelf libraries, for tests/webhooks.rs.

It verifies every delivery with the Standard Webhooks reference library (`standardwebhooks`)
and parses it with the CloudEvents Python SDK (`cloudevents`, HTTP binary content mode). The
first FAIL tries of each message (by `webhook-id`) are answered 500, as a receiver that is down
would; after that a verified delivery is accepted with 204 and printed as one JSON line:
  {"accepted": {"webhook_id", "attempt", "id", "source", "type", "subject", "time", "data"}}
A message accepted before is answered 204 again and printed as {"duplicate": webhook_id}; a
delivery that fails verification or parsing is answered 400 and printed as {"refused": why}.

Usage: webhook_receiver.py SECRET FAIL [PORT]. Prints `listening on 127.0.0.1:PORT` first, then serves
until standard input closes (the test holds the other end).
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks.webhooks import Webhook


def main() -> None:
    secret, fail = sys.argv[1], int(sys.argv[2])
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    verifier = Webhook(secret)
    tries: dict[str, int] = {}
    accepted: set[str] = set()
    lock = threading.Lock()
    output = threading.Lock()

    def say(record: dict) -> None:
        # One line at a time: handler threads would otherwise interleave their lines.
        with output:
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            webhook_id = headers.get("webhook-id", "")
            with lock:
                tries[webhook_id] = tries.get(webhook_id, 0) + 1
                attempt = tries[webhook_id]
            if attempt <= fail:
                self.answer(500)
                return
            try:
                verifier.verify(body, headers)
                event = from_http_event(HTTPMessage(headers=headers, body=body))
            except Exception as e:  # any failure is the test's finding
                say({"refused": f"{type(e).__name__}: {e}"})
                self.answer(400)
                return
            with lock:
                duplicate = webhook_id in accepted
                accepted.add(webhook_id)
            if duplicate:
                say({"duplicate": webhook_id})
            else:
                time = event.get_time()
                say({"accepted": {
                    "webhook_id": webhook_id,
                    "attempt": attempt,
                    "id": event.get_id(),
                    "source": event.get_source(),
                    "type": event.get_type(),
                    "subject": event.get_subject(),
                    "time": time.isoformat() if time else None,
                    "data": event.get_data(),
                }})
            self.answer(204)

        def answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
