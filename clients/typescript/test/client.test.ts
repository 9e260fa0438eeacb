// The client against the real service binary over a real database.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  createClient,
  getItem,
  getMasterData,
  ProblemError,
  removeItem,
  updateItem,
  updateMasterData,
} from "../src/index.js";
import { AUDIENCE, startIssuer, type Issuer } from "./issuer.js";
import { startService, type Service } from "./service.js";

const WRITE_KEY = "client-test-write-key-0123456789";
let issuer: Issuer;
let service: Service;

before(async () => {
  issuer = await startIssuer();
  service = await startService({
    APP__AUTH__MODE: "writes",
    APP__AUTH__KEYS: `write:${WRITE_KEY}`,
    APP__AUTH__JWT__ISSUER: issuer.url,
    APP__AUTH__JWT__AUDIENCE: AUDIENCE,
    APP__AUTH__JWT__JWKS_URL: issuer.jwksUrl,
    APP__DATABASE__ACQUIRE_TIMEOUT_MS: "300",
    APP__RATE_LIMIT__ENABLED: "false",
  });
});

after(async () => {
  await service?.stop();
  await issuer?.close();
});

const bricks = [{ design_id: 1, color_codes: [1, 2] }, { design_id: 2, color_codes: [3, 4] }];

test("every route answers through the typed client", async () => {
  const client = createClient({ baseUrl: service.baseUrl, apiKey: WRITE_KEY });
  const id = `ts-${Date.now()}`;

  assert.equal((await client.GET("/health/live")).data?.status, "ok");
  assert.equal((await client.GET("/health/ready")).data?.status, "ok");

  const created = await client.POST("/items", { body: { identifier: id, bricks } });
  assert.equal(created.response.status, 201);
  assert.equal(created.data?.identifier, id);
  const replaced = await client.PUT("/items/{id}", { params: { path: { id } }, body: { bricks: [bricks[0]] } });
  assert.equal(replaced.response.status, 200);
  assert.deepEqual((await client.GET("/items/{id}", { params: { path: { id } } })).data?.bricks, [bricks[0]]);
  assert.equal((await client.GET("/items/item/{id}", { params: { path: { id } } })).data?.identifier, id);
  const page = await client.GET("/items", { params: { query: { limit: 2 } } });
  assert.equal(page.data?.length, 2);
  assert.match(page.response.headers.get("link") ?? "", /rel="next"/);

  const record = await client.PUT("/masterdata/{id}", {
    params: { path: { id } },
    body: { status: "Normal", price: 0.5 },
  });
  assert.equal(record.response.status, 201);
  assert.equal((await client.GET("/masterdata/{id}", { params: { path: { id } } })).data?.status, "Normal");
  assert.equal((await client.GET("/masterdata/item/{id}", { params: { path: { id } } })).data?.identifier, id);
  assert.ok((await client.GET("/masterdata", { params: { query: { status: "Normal" } } })).data?.length);

  const bulk = await client.POST("/items/bulk", {
    body: [{ identifier: `${id}-b`, bricks: [bricks[1]] }],
  });
  assert.deepEqual(bulk.data, { received: 1, created: 1, updated: 0 });
  const bulkMaster = await client.POST("/masterdata/bulk", {
    body: [{ identifier: `${id}-b`, status: "Novelty", price: 2 }],
  });
  assert.equal(bulkMaster.data?.created, 1);

  const rank = await client.POST("/preferreditem", { body: { bricks: [bricks[0]] } });
  assert.equal(rank.data?.preferred_item.identifier, id);
  const score = await client.POST("/preferreditem/score", { body: { bricks: [bricks[0]], match: "contains" } });
  assert.ok(score.data?.candidates);
  const batch = await client.POST("/preferreditem/batch", {
    body: { strategy: "rank", queries: [{ bricks: [bricks[0]] }, { bricks: [{ design_id: 999, color_codes: [9] }] }] },
  });
  assert.equal(batch.data?.results.length, 2);

  assert.equal((await client.DELETE("/masterdata/{id}", { params: { path: { id } } })).response.status, 204);
  assert.equal((await client.DELETE("/items/{id}", { params: { path: { id } } })).response.status, 204);
});

test("problems come back as a typed ProblemError", async () => {
  const client = createClient({ baseUrl: service.baseUrl, apiKey: WRITE_KEY });
  await assert.rejects(
    client.POST("/items", { body: { identifier: "bad id!", bricks: [{ design_id: -1, color_codes: [1] }] } }),
    (error: unknown) => {
      assert.ok(error instanceof ProblemError);
      assert.equal(error.status, 422);
      assert.equal(error.type, "urn:problem:validation");
      assert.deepEqual(error.errors.map((e) => e.field), ["identifier", "bricks[0].design_id"]);
      assert.match(error.requestId ?? "", /^[0-9a-f-]{36}$/);
      return true;
    },
  );
  await assert.rejects(client.POST("/preferreditem", { body: { bricks: [{ design_id: 999, color_codes: [9] }] } }), {
    name: "ProblemError",
    status: 404,
    detail: "No preferred item found for the provided bricks",
  });
  // Writes without a credential.
  const anonymous = createClient({ baseUrl: service.baseUrl });
  await assert.rejects(anonymous.DELETE("/items/{id}", { params: { path: { id: "x" } } }), { status: 401 });
});

test("a write with an OpenID Connect token works, and a read-scoped token may not write", async () => {
  const writer = createClient({ baseUrl: service.baseUrl, token: () => issuer.token("preferred-item/write") });
  const id = `jwt-${Date.now()}`;
  const created = await writer.POST("/items", { body: { identifier: id, bricks } });
  assert.equal(created.response.status, 201);
  const reader = createClient({ baseUrl: service.baseUrl, token: issuer.token("preferred-item/read") });
  await assert.rejects(reader.DELETE("/items/{id}", { params: { path: { id } } }), (error: unknown) => {
    assert.ok(error instanceof ProblemError);
    assert.equal(error.status, 403);
    assert.equal(error.response.headers.get("www-authenticate"), 'Bearer error="insufficient_scope"');
    return true;
  });
});

/** A client that records the status of every try it makes. */
function recordingClient(maxAttempts: number) {
  const statuses: number[] = [];
  const client = createClient({
    baseUrl: service.baseUrl,
    maxAttempts,
    fetch: async (request) => {
      const response = await fetch(request);
      statuses.push(response.status);
      return response;
    },
  });
  return { client, statuses };
}

test("a 503 is retried after Retry-After until the database is back", async () => {
  const { client, statuses } = recordingClient(6);
  service.stopDatabase();
  const answer = client.GET("/items", { params: { query: { limit: 1 } } });
  await new Promise((r) => setTimeout(r, 800));
  service.startDatabase();
  const { data, response } = await answer;
  assert.equal(response.status, 200);
  assert.equal(data?.length, 1);
  assert.equal(statuses[0], 503);
  assert.equal(statuses.at(-1), 200);
});

test("retries are bounded, and an abort stops the wait", async () => {
  const { client, statuses } = recordingClient(2);
  service.stopDatabase();
  try {
    await assert.rejects(client.GET("/items"), { status: 503 });
    assert.deepEqual(statuses, [503, 503]);
    const controller = new AbortController();
    const started = Date.now();
    const pending = client.GET("/items", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("the user left")), 400);
    await assert.rejects(pending, { message: "the user left" });
    assert.ok(Date.now() - started < 900, "the retry wait was cut short");
  } finally {
    service.startDatabase();
  }
});

test("conditional helpers: 304 keeps the copy, a stale ETag is refused with 412", async () => {
  const client = createClient({ baseUrl: service.baseUrl, apiKey: WRITE_KEY });
  const id = `ts-tag-${Date.now()}`;
  await client.POST("/items", { body: { identifier: id, bricks } });

  const read = await getItem(client, id);
  assert.match(read.etag, /^"[0-9a-f]{32}"$/);
  // Unchanged: the service answers 304 and the held copy comes back.
  assert.equal(await getItem(client, id, { cached: read }), read);

  const mine = await updateItem(client, read, [bricks[1]]);
  assert.notEqual(mine.etag, read.etag);
  assert.deepEqual(mine.value.bricks, [bricks[1]]);
  // Another editor still holding the first copy is refused, and nothing changes.
  await assert.rejects(updateItem(client, read, [bricks[0]]), (e: unknown) => {
    assert.ok(e instanceof ProblemError);
    assert.equal(e.status, 412);
    assert.equal(e.type, "urn:problem:precondition-failed");
    return true;
  });
  const now = await getItem(client, id, { cached: read });
  assert.deepEqual(now.value.bricks, [bricks[1]]);
  assert.equal(now.etag, mine.etag);

  await client.PUT("/masterdata/{id}", { params: { path: { id } }, body: { status: "Normal", price: 2 } });
  const record = await getMasterData(client, id);
  const cheaper = await updateMasterData(client, record, { status: "Normal", price: 1 });
  assert.equal(cheaper.value.price, 1);
  await assert.rejects(updateMasterData(client, record, { status: "Outgoing", price: 9 }), /412/);

  await assert.rejects(removeItem(client, read), /412/);
  await removeItem(client, now);
  const gone = await client.GET("/items/{id}", { params: { path: { id } } }).catch((e: unknown) => e);
  assert.ok(gone instanceof ProblemError && gone.status === 404);
});

test("a retried create carries one Idempotency-Key, so the retry gets the first answer", async () => {
  // The first try reaches the service, but its answer is lost (a 503 from a
  // proxy in between): the retry must not come back as a 409.
  const seen: (string | null)[] = [];
  let first = true;
  const client = createClient({
    baseUrl: service.baseUrl,
    apiKey: WRITE_KEY,
    maxRetryDelayMs: 10,
    fetch: async (request) => {
      seen.push(request.headers.get("idempotency-key"));
      const response = await fetch(request);
      if (first) {
        first = false;
        return new Response("lost", { status: 503, headers: { "retry-after": "0" } });
      }
      return response;
    },
  });
  const id = `ts-idem-${Date.now()}`;
  const created = await client.POST("/items", { body: { identifier: id, bricks } });
  assert.equal(created.response.status, 201);
  assert.equal(created.response.headers.get("idempotency-replayed"), "true");
  assert.equal(seen.length, 2);
  assert.ok(seen[0] && seen[0] === seen[1], "the same key on both tries");
  // Another call gets another key.
  await client.POST("/items", { body: { identifier: `${id}-b`, bricks } });
  assert.notEqual(seen[2], seen[0]);
});
