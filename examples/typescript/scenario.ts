// A cloudgw scenario driven by the types openapi-typescript generates from openapi/openapi.json
// (schema.d.ts) and the openapi-fetch client: list providers, create a server, follow its
// operation until it runs, stop it, start it, delete it, and read a bad request's problem as the
// typed `Problem` error.
//
//     npm ci && npm run generate && npx tsx scenario.ts http://127.0.0.1:8080 [TOKEN]
//
// With TOKEN (a gateway API token, `cloudgw token new`), every call carries it as a bearer token.

import createClient from "openapi-fetch";

import type { components, paths } from "./schema.d.ts";

type Operation = components["schemas"]["Operation"];
type Problem = components["schemas"]["Problem"];
type ServerState = components["schemas"]["ServerState"];

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** The answer's data, or exit naming the problem that came instead. */
function expectData<T>(
  what: string,
  answer: { data?: T; error?: Problem | undefined },
): T {
  if (answer.data === undefined) {
    fail(`${what}: ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

const baseUrl = process.argv[2] ?? fail("usage: tsx scenario.ts BASE_URL [TOKEN]");
const token = process.argv[3];
const client = createClient<paths>({
  baseUrl,
  headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
});

/** Polls the operation until it ends (at most a minute). */
async function follow(operation: Operation): Promise<Operation> {
  const deadline = Date.now() + 60_000;
  let current = operation;
  while (current.status === "pending" || current.status === "running") {
    if (Date.now() > deadline) {
      fail(`operation ${current.id} did not end within a minute`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    current = expectData(
      "get_operation",
      await client.GET("/v1/operations/{id}", { params: { path: { id: current.id } } }),
    );
  }
  if (current.status !== "succeeded") {
    fail(`operation ${current.id} ended ${current.status}: ${JSON.stringify(current.problem)}`);
  }
  return current;
}

async function expectState(provider: string, id: string, state: ServerState): Promise<void> {
  const server = expectData(
    "get_server",
    await client.GET("/v1/providers/{provider}/servers/{id}", {
      params: { path: { provider, id } },
    }),
  );
  if (server.state !== state) {
    fail(`server ${id} is ${server.state}, expected ${state}`);
  }
}

async function act(
  provider: string,
  id: string,
  action: "start" | "stop",
  state: ServerState,
): Promise<void> {
  const path = action === "start"
    ? "/v1/providers/{provider}/servers/{id}/start" as const
    : "/v1/providers/{provider}/servers/{id}/stop" as const;
  const answer = expectData(
    `${action}_server`,
    await client.POST(path, { params: { path: { provider, id } } }),
  );
  await follow(answer.operation);
  await expectState(provider, id, state);
  console.log(`${action}_server: server ${id} is ${state}`);
}

async function main(): Promise<void> {
  const providers = expectData("list_providers", await client.GET("/v1/providers")).items;
  const provider = providers.find((p) => p.capabilities.create_server)
    ?? fail("no provider can create servers");
  console.log(`providers: ${providers.map((p) => p.id).join(", ")}; using ${provider.id}`);
  const onProvider = { params: { path: { provider: provider.id } } };

  const images = expectData(
    "list_images",
    await client.GET("/v1/providers/{provider}/images", {
      params: { path: { provider: provider.id }, query: { limit: 1 } },
    }),
  ).items;
  const sizes = expectData(
    "list_sizes",
    await client.GET("/v1/providers/{provider}/sizes", onProvider),
  ).items;
  const image = images[0] ?? fail("no images");
  // The largest size fits every image (some images need more memory than the smallest size).
  const size = sizes.reduce<(typeof sizes)[number] | undefined>(
    (best, s) => (best === undefined || (s.memory_mib ?? 0) > (best.memory_mib ?? 0) ? s : best),
    undefined,
  ) ?? fail("no sizes");

  const name = `ts-${Math.random().toString(16).slice(2, 10)}`;
  const created = expectData(
    "create_server",
    await client.POST("/v1/providers/{provider}/servers", {
      ...onProvider,
      body: { name, image_id: image.id, size_id: size.id },
    }),
  );
  await follow(created.operation);
  const id = created.server.id;
  await expectState(provider.id, id, "running");
  console.log(`created: server ${id} is running`);

  await act(provider.id, id, "stop", "stopped");
  await act(provider.id, id, "start", "running");

  const deleted = expectData(
    "delete_server",
    await client.DELETE("/v1/providers/{provider}/servers/{id}", {
      params: { path: { provider: provider.id, id } },
    }),
  );
  await follow(deleted.operation);
  console.log(`deleted: server ${id}`);

  const bad = await client.GET("/v1/providers/{provider}/servers", {
    params: { path: { provider: provider.id }, query: { cursor: "not-a-cursor" } },
  });
  const problem: Problem = bad.error ?? fail("a bad cursor was accepted");
  if (problem.status !== 400 || problem.code !== "invalid_request") {
    fail(`unexpected problem: ${JSON.stringify(problem)}`);
  }
  console.log(`bad request: ${problem.status} ${problem.code}: ${problem.detail}`);
  console.log("scenario passed");
}

await main();
