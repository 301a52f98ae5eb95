#!/usr/bin/env python3
"""Serves OpenStack ooi 1.2.0 (a real OCCI 1.1/1.2 server) on loopback for tests/occi_ooi.rs.

ooi's WSGI middleware `ooi.wsgi.OCCIMiddleware` is wrapped around ooi's own fake Nova,
`ooi.tests.fakes.FakeApp` (shipped in the ooi package), and served by wsgiref. The
`X-Project-Id` request header stands in for what keystonemiddleware sets after validating a
token. ooi 1.2.0 predates Python 3.10: `collections.Mapping` and friends are aliased to
`collections.abc` before it is imported.

Prints one line, `LISTENING <port> <tenants as JSON>`, then serves until killed. The fake's
tenant ids are random per process, hence printed.
"""

import collections
import collections.abc
import json
import sys
import warnings

for _name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Iterable", "Callable"):
    setattr(collections, _name, getattr(collections.abc, _name))

from wsgiref.simple_server import WSGIRequestHandler, make_server  # noqa: E402

import ooi  # noqa: E402
import ooi.wsgi  # noqa: E402
from ooi.tests import fakes  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    # WebOb warns about an API ooi uses; the check is about ooi's answers, not its internals.
    # (Set after the imports: they reset the filters.)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    app = ooi.wsgi.OCCIMiddleware(fakes.FakeApp())
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    tenants = {name: t["id"] for name, t in fakes.tenants.items()}
    print("LISTENING", server.server_port, json.dumps(tenants), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
