// A thin layer over the generated types and openapi-fetch: credentials on
// every request, problem documents as a typed error, bounded retries of 429
// and 503 that honour Retry-After, and abort signals everywhere. Runs in
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
      const secret =
        typeof options.token === "function" ? await options.token() : (options.token ?? options.apiKey);
      if (secret) request.headers.set("Authorization", `Bearer ${secret}`);
      return request;
    },
  };

  const problems: Middleware = {
    async onResponse({ response }) {
      if (response.ok) return undefined;
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
