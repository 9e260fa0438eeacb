// A thin layer over the generated types and openapi-fetch: credentials on
// every request, problem documents as a typed error, bounded retries of 429
// and 503 that honour Retry-After, abort signals everywhere, and helpers
// for conditional reads and writes (ETag, If-None-Match, If-Match). Runs in
// browsers and in Node 20 (global fetch); no runtime dependency beyond
// openapi-fetch.

import createFetchClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type { components, paths };
export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type ProblemField = Schemas["ProblemField"];
export type PreferredItemClient = Client<paths>;

/** A problem document (RFC 9457) answered by the service. */
export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: ProblemField[];
  readonly requestId: string | null;
  readonly response: Response;

  constructor(problem: Problem, response: Response) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = "ProblemError";
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = problem.request_id ?? response.headers.get("x-request-id");
    this.response = response;
  }
}

export interface ClientOptions {
  /** Where the service is, e.g. `https://catalog.example.com`. */
  baseUrl: string;
  /** An OpenID Connect access token, or a function that returns a fresh one. */
  token?: string | (() => string | Promise<string>);
  /** An API key, for machines. Ignored when `token` is given. */
  apiKey?: string;
  /** Tries in all for a request answered 429 or 503 (default 3). */
  maxAttempts?: number;
  /** The longest wait between tries, whatever Retry-After says (default 10 s). */
  maxRetryDelayMs?: number;
  /** A fetch of your own (tests, instrumentation); default: the global fetch. */
  fetch?: (input: Request) => Promise<Response>;
}

const RETRIED = new Set([429, 503]);

/** The POSTs that create, which the service deduplicates by `Idempotency-Key`. */
const IDEMPOTENT_POSTS = [/\/items$/, /\/items\/bulk$/, /\/masterdata\/bulk$/];

/** A fresh key: the platform's UUID where there is one. */
function newIdempotencyKey(): string {
  const crypto = globalThis.crypto as Crypto | undefined;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}-${Math.random().toString(16).slice(2)}`;
}

/** Milliseconds to wait: Retry-After as seconds or an HTTP date, else a short backoff. */
function retryDelay(retryAfter: string | null, attempt: number, maxMs: number): number {
  let ms = 250 * 2 ** (attempt - 1);
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) {
      ms = seconds * 1000;
    } else {
      const at = Date.parse(retryAfter);
      if (!Number.isNaN(at)) ms = Math.max(0, at - Date.now());
    }
  }
  return Math.min(ms, maxMs);
}

function sleep(ms: number, signal: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A client of every route, typed from the OpenAPI document:
 *
 * ```ts
 * const client = createClient({ baseUrl, token: () => auth.accessToken() });
 * const { data } = await client.POST("/preferreditem", {
 *   body: { bricks: [{ design_id: 1, color_codes: [1, 2] }] },
 *   signal,
 * });
 * ```
 *
 * Non-2xx answers throw `ProblemError`; aborting the signal rejects with
 * the signal's reason, also while waiting to retry.
 */
export function createClient(options: ClientOptions): PreferredItemClient {
  const baseFetch = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const maxDelay = options.maxRetryDelayMs ?? 10_000;

  const retryingFetch = async (request: Request): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      const response = await baseFetch(request.clone());
      if (!RETRIED.has(response.status) || attempt >= maxAttempts) {
        return response;
      }
      const delay = retryDelay(response.headers.get("retry-after"), attempt, maxDelay);
      await response.body?.cancel();
      await sleep(delay, request.signal);
    }
  };

  const credentials: Middleware = {
    async onRequest({ request }) {
      // One key for every try of a creating POST: a retry after a lost
      // answer gets the first answer again instead of a 409.
      const path = new URL(request.url).pathname.replace(/\/+$/, "");
      if (
        request.method === "POST" &&
        !request.headers.has("Idempotency-Key") &&
        IDEMPOTENT_POSTS.some((route) => route.test(path))
      ) {
        request.headers.set("Idempotency-Key", newIdempotencyKey());
      }
      const secret =
        typeof options.token === "function" ? await options.token() : (options.token ?? options.apiKey);
      if (secret) request.headers.set("Authorization", `Bearer ${secret}`);
      return request;
    },
  };

  const problems: Middleware = {
    async onResponse({ response }) {
      // 304: the caller's copy is current (it sent If-None-Match).
      if (response.ok || response.status === 304) return undefined;
      const type = response.headers.get("content-type") ?? "";
      if (type.includes("json")) {
        const problem = (await response.clone().json()) as Problem;
        throw new ProblemError(problem, response);
      }
      throw new ProblemError(
        {
          type: "about:blank",
          title: response.statusText,
          status: response.status,
          detail: `HTTP ${response.status}`,
          errors: [],
          request_id: response.headers.get("x-request-id"),
        },
        response,
      );
    },
  };

  const client = createFetchClient<paths>({ baseUrl: options.baseUrl, fetch: retryingFetch });
  client.use(credentials, problems);
  return client;
}

export type Item = Schemas["ItemJson"];
export type MasterData = Schemas["MasterDataJson"];

/** A record and the ETag it was read (or written) with. */
export interface Tagged<T> {
  value: T;
  etag: string;
}

function etagOf(response: Response): string {
  const etag = response.headers.get("etag");
  if (etag === null) throw new Error("the service sent no ETag");
  return etag;
}

/**
 * Reads an item with its ETag. Given the ETag of a copy already held, the
 * service answers 304 while that copy is current, and this returns it
 * unchanged without a body having been sent.
 */
export async function getItem(
  client: PreferredItemClient,
  id: string,
  options: { cached?: Tagged<Item>; signal?: AbortSignal } = {},
): Promise<Tagged<Item>> {
  const { data, response } = await client.GET("/items/{id}", {
    params: { path: { id } },
    headers: options.cached ? { "If-None-Match": options.cached.etag } : {},
    signal: options.signal,
  });
  if (response.status === 304 && options.cached) return options.cached;
  return { value: data as Item, etag: etagOf(response) };
}

/**
 * Replaces an item's bricks only if it is still as `current` was read
 * (`If-Match`). If someone changed it since, this throws a `ProblemError`
 * with status 412 and nothing is written: read it again and decide.
 */
export async function updateItem(
  client: PreferredItemClient,
  current: Tagged<Item>,
  bricks: Item["bricks"],
  signal?: AbortSignal,
): Promise<Tagged<Item>> {
  const { data, response } = await client.PUT("/items/{id}", {
    params: { path: { id: current.value.identifier }, header: { "If-Match": current.etag } },
    body: { bricks },
    signal,
  });
  return { value: data as Item, etag: etagOf(response) };
}

/** Deletes an item only if it is still as `current` was read (412 otherwise). */
export async function removeItem(
  client: PreferredItemClient,
  current: Tagged<Item>,
  signal?: AbortSignal,
): Promise<void> {
  await client.DELETE("/items/{id}", {
    params: { path: { id: current.value.identifier }, header: { "If-Match": current.etag } },
    signal,
  });
}

/** `getItem` for an item's master data. */
export async function getMasterData(
  client: PreferredItemClient,
  id: string,
  options: { cached?: Tagged<MasterData>; signal?: AbortSignal } = {},
): Promise<Tagged<MasterData>> {
  const { data, response } = await client.GET("/masterdata/{id}", {
    params: { path: { id } },
    headers: options.cached ? { "If-None-Match": options.cached.etag } : {},
    signal: options.signal,
  });
  if (response.status === 304 && options.cached) return options.cached;
  return { value: data as MasterData, etag: etagOf(response) };
}

/** `updateItem` for master data: replaces status and price only if unchanged since read. */
export async function updateMasterData(
  client: PreferredItemClient,
  current: Tagged<MasterData>,
  change: Schemas["MasterDataBody"],
  signal?: AbortSignal,
): Promise<Tagged<MasterData>> {
  const { data, response } = await client.PUT("/masterdata/{id}", {
    params: { path: { id: current.value.identifier }, header: { "If-Match": current.etag } },
    body: change,
    signal,
  });
  return { value: data as MasterData, etag: etagOf(response) };
}

/** Deletes master data only if it is still as `current` was read (412 otherwise). */
export async function removeMasterData(
  client: PreferredItemClient,
  current: Tagged<MasterData>,
  signal?: AbortSignal,
): Promise<void> {
  await client.DELETE("/masterdata/{id}", {
    params: { path: { id: current.value.identifier }, header: { "If-Match": current.etag } },
    signal,
  });
}
