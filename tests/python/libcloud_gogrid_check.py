#!/usr/bin/env python3
"""Third-party check of the cloudgw GoGrid simulator with Apache Libcloud 3.7.0's GoGrid driver.

Libcloud 3.7.0 is the last release that ships GoGrid (removed in 3.8.0). This script drives a
running simulator through the full node lifecycle and prints a final summary line:

    libcloud check: N passed, M failed

It exits 0 only when every check passed. The simulator must run with provision delay 0:
libcloud's create_node sleeps 120 s whenever a new server has no id yet, which this script
turns into an immediate failure instead of a hang.
"""

import argparse
import sys
import traceback
import types
import uuid

try:
    import libcloud
    from libcloud.common.types import InvalidCredsError
    from libcloud.compute.providers import Provider, get_driver
    from libcloud.compute.types import NodeState
    import libcloud.compute.drivers.gogrid as gogrid_driver
except ImportError as exc:  # pragma: no cover - environment problem
    print(f"libcloud check: cannot import libcloud ({exc}); install scripts/python-requirements.txt")
    sys.exit(2)

EXPECTED_LIBCLOUD = "3.7.0"
EXPECTED_SIZES = {"512MB", "1GB", "2GB", "4GB", "8GB", "16GB", "24GB"}
EXPECTED_LOCATIONS = {"US-West-1", "US-East-1", "EU-West-1"}
PREFERRED_IMAGE = "CentOS 5.6 (32-bit) w/ None"


class CheckFailed(Exception):
    """A check's expectation did not hold."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def _no_sleep(seconds):
    raise CheckFailed(
        f"libcloud wanted to sleep {seconds}s waiting for the new node's id: the simulator "
        "must list a new server with an id at once (run it with provision delay 0)"
    )


class Checker:
    def __init__(self, args):
        self.args = args
        cls = get_driver(Provider.GOGRID)
        self.driver = cls(args.key, args.secret, secure=False, host=args.host, port=args.port)
        self.images = []
        self.sizes = []
        self.locations = []
        self.node = None
        self.node_name = "lc-" + uuid.uuid4().hex[:8]
        self.passed = 0
        self.failed = 0

    def run(self, name, fn):
        try:
            fn()
        except Exception as exc:  # every failure is reported, none stops the run
            self.failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
            if not isinstance(exc, CheckFailed):
                traceback.print_exc(limit=3)
        else:
            self.passed += 1
            print(f"ok   {name}")

    def libcloud_version(self):
        expect(
            libcloud.__version__ == EXPECTED_LIBCLOUD,
            f"libcloud {libcloud.__version__} installed, {EXPECTED_LIBCLOUD} required",
        )

    def list_images(self):
        self.images = self.driver.list_images()
        expect(len(self.images) > 0, "list_images returned nothing")
        for image in self.images:
            expect(image.id is not None and image.name, f"image without id or name: {image!r}")
        names = [i.name for i in self.images]
        expect(PREFERRED_IMAGE in names, f"{PREFERRED_IMAGE!r} not in images {names}")

    def list_sizes(self):
        self.sizes = self.driver.list_sizes()
        ids = {s.id for s in self.sizes}
        expect(ids == EXPECTED_SIZES, f"sizes {sorted(ids)}")

    def list_locations(self):
        self.locations = self.driver.list_locations()
        names = {l.name for l in self.locations}
        expect(names == EXPECTED_LOCATIONS, f"locations {sorted(names)}")

    def list_nodes_before(self):
        nodes = self.driver.list_nodes()
        expect(isinstance(nodes, list), f"list_nodes returned {type(nodes).__name__}")
        expect(
            all(n.name != self.node_name for n in nodes),
            f"a node named {self.node_name} exists before create",
        )

    def free_ips(self):
        location = self._location()
        ips = self.driver.ex_list_ips(public=True, assigned=False, location=location)
        expect(len(ips) > 0, f"no free public IP in {location.name}")
        for ip in ips:
            expect(ip.public and ip.state == "Unassigned", f"not a free public IP: {vars(ip)}")
            expect(ip.location.id == location.id, f"IP {ip.ip} is in {ip.location.name}")

    def _location(self):
        matches = [l for l in self.locations if l.name == "US-East-1"]
        expect(matches, "location US-East-1 missing")
        return matches[0]

    def create_node(self):
        image = next((i for i in self.images if i.name == PREFERRED_IMAGE), None)
        size = next((s for s in self.sizes if s.id == "512MB"), None)
        expect(image is not None and size is not None, "no image or size to create with")
        # libcloud 3.7.0's create_node does not pass `location` on: it takes the first free
        # public IP of any datacenter, and that IP decides placement.
        free = {ip.ip for ip in self.driver.ex_list_ips(public=True, assigned=False)}
        node = self.driver.create_node(name=self.node_name, size=size, image=image)
        expect(node.id is not None, f"create_node returned a node without id: {node!r}")
        expect(node.name == self.node_name, f"created node is named {node.name}")
        expect(node.public_ips and node.public_ips[0] in free, f"node IP {node.public_ips} was not free")
        self.node = node

    def node_listed(self):
        expect(self.node is not None, "no node was created")
        nodes = {n.id: n for n in self.driver.list_nodes()}
        expect(self.node.id in nodes, f"node {self.node.id} not in list_nodes {list(nodes)}")
        listed = nodes[self.node.id]
        expect(listed.state == NodeState.RUNNING, f"node state {listed.state}, want running")
        expect(listed.extra.get("ram") == "512MB", f"node ram {listed.extra.get('ram')}")
        expect(listed.extra.get("password"), "node has no root password in extra")

    def reboot_node(self):
        expect(self.node is not None, "no node was created")
        expect(self.driver.reboot_node(self.node) is True, "reboot_node did not return True")
        nodes = {n.id: n for n in self.driver.list_nodes()}
        expect(self.node.id in nodes, "node vanished after reboot")
        state = nodes[self.node.id].state
        expect(
            state in (NodeState.REBOOTING, NodeState.RUNNING),
            f"node state after reboot is {state}",
        )

    def destroy_node(self):
        expect(self.node is not None, "no node was created")
        expect(self.driver.destroy_node(self.node) is True, "destroy_node did not return True")
        ids = [n.id for n in self.driver.list_nodes()]
        expect(self.node.id not in ids, f"node {self.node.id} still listed after destroy")
        free = {ip.ip for ip in self.driver.ex_list_ips(public=True, assigned=False)}
        expect(self.node.public_ips[0] in free, "the destroyed node's IP was not freed")

    def wrong_secret(self):
        cls = get_driver(Provider.GOGRID)
        bad = cls(
            self.args.key,
            self.args.secret + "-wrong",
            secure=False,
            host=self.args.host,
            port=self.args.port,
        )
        try:
            bad.list_images()
        except InvalidCredsError:
            return
        raise CheckFailed("list_images with a wrong secret did not raise InvalidCredsError")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()

    # create_node polls with time.sleep(120) while the node has no id; fail instead of hanging.
    gogrid_driver.time = types.SimpleNamespace(sleep=_no_sleep)

    c = Checker(args)
    for name, fn in [
        ("libcloud version", c.libcloud_version),
        ("list_images", c.list_images),
        ("list_sizes", c.list_sizes),
        ("list_locations", c.list_locations),
        ("list_nodes before create", c.list_nodes_before),
        ("ex_list_ips free public", c.free_ips),
        ("create_node", c.create_node),
        ("created node in list_nodes", c.node_listed),
        ("reboot_node", c.reboot_node),
        ("destroy_node", c.destroy_node),
        ("wrong secret raises InvalidCredsError", c.wrong_secret),
    ]:
        c.run(name, fn)

    print(f"libcloud check: {c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
