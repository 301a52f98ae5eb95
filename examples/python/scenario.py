"""A cloudgw scenario driven by the Python client that openapi-python-client generates from
openapi/openapi.json: list providers, create a server, follow its operation until it runs,
stop it, start it, delete it, and read a bad request's problem as the typed `Problem`.

    python scenario.py http://127.0.0.1:8080 [TOKEN]

With TOKEN (a gateway API token, `cloudgw token new`), every call carries it as a bearer token.

The generated package (`cloudgw_client`) must be importable: see README.md beside this file.
"""

import sys
import time
import uuid

from cloudgw_client import AuthenticatedClient, Client
from cloudgw_client.api.images import list_images
from cloudgw_client.api.operations import get_operation
from cloudgw_client.api.providers import list_providers
from cloudgw_client.api.servers import (
    create_server,
    delete_server,
    get_server,
    list_servers,
    start_server,
    stop_server,
)
from cloudgw_client.api.sizes import list_sizes
from cloudgw_client.models import (
    CreateServerRequest,
    Operation,
    OperationStatus,
    Problem,
    ProblemCode,
    ServerOperationResponse,
    ServerState,
)


def expect(value, kind):
    """The answer as the generated type `kind`, or exit naming what came instead."""
    if not isinstance(value, kind):
        sys.exit(f"expected {kind.__name__}, got {value!r}")
    return value


def follow(client: Client, operation: Operation) -> Operation:
    """Polls the operation until it ends (at most a minute)."""
    deadline = time.monotonic() + 60
    while operation.status in (OperationStatus.PENDING, OperationStatus.RUNNING):
        if time.monotonic() > deadline:
            sys.exit(f"operation {operation.id} did not end within a minute")
        time.sleep(0.2)
        operation = expect(get_operation.sync(operation.id, client=client), Operation)
    if operation.status != OperationStatus.SUCCEEDED:
        sys.exit(f"operation {operation.id} ended {operation.status}: {operation.problem}")
    return operation


def act(client: Client, provider: str, server_id: str, action, state: ServerState) -> None:
    """Runs a power action, follows its operation, and checks the server's new state."""
    answer = expect(action.sync(provider, server_id, client=client), ServerOperationResponse)
    follow(client, answer.operation)
    server = get_server.sync(provider, server_id, client=client)
    if server.state != state:
        sys.exit(f"server {server_id} is {server.state}, expected {state}")
    print(f"{action.__name__.rsplit('.', 1)[-1]}: server {server_id} is {server.state.value}")


def main(base_url: str, token: str | None) -> None:
    if token:
        client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    else:
        client = Client(base_url=base_url, raise_on_unexpected_status=True)

    providers = list_providers.sync(client=client).items
    provider = next(p for p in providers if p.capabilities.create_server)
    print(f"providers: {[p.id for p in providers]}; using {provider.id}")

    # The largest size fits every image (some images need more memory than the smallest size).
    image = list_images.sync(provider.id, client=client, limit=1).items[0]
    size = max(list_sizes.sync(provider.id, client=client).items, key=lambda s: s.memory_mib or 0)
    name = f"py-{uuid.uuid4().hex[:8]}"
    body = CreateServerRequest(name=name, image_id=image.id, size_id=size.id)
    created = expect(
        create_server.sync(provider.id, client=client, body=body), ServerOperationResponse
    )
    follow(client, created.operation)
    server = get_server.sync(provider.id, created.server.id, client=client)
    if server.state != ServerState.RUNNING:
        sys.exit(f"new server is {server.state}, expected running")
    print(f"created: server {server.id} is {server.state.value}")

    act(client, provider.id, server.id, stop_server, ServerState.STOPPED)
    act(client, provider.id, server.id, start_server, ServerState.RUNNING)

    deleted = expect(
        delete_server.sync(provider.id, server.id, client=client), ServerOperationResponse
    )
    follow(client, deleted.operation)
    print(f"deleted: server {server.id}")

    problem = expect(
        list_servers.sync(provider.id, client=client, cursor="not-a-cursor"), Problem
    )
    if problem.status != 400 or problem.code != ProblemCode.INVALID_REQUEST:
        sys.exit(f"unexpected problem: {problem}")
    print(f"bad request: {problem.status} {problem.code.value}: {problem.detail}")
    print("scenario passed")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python scenario.py BASE_URL [TOKEN]")
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
