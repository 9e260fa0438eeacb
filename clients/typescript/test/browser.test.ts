// The cross-origin call in a real browser: headless Chromium (Debian's
// chromium and chromium-driver, over WebDriver) loads examples/web from one
// origin on 127.0.0.1; the page gets a token from the test issuer and calls
// POST /preferreditem on the service, another origin, with it. That is a
// CORS preflight with Authorization, then the call. The test reads what
// the page rendered.
//
// Skipped when Chromium is not installed, unless REQUIRE_BROWSER is set (CI).

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { AUDIENCE, startIssuer, type Issuer } from "./issuer.js";
import { freePort, startService, type Service } from "./service.js";

const here = dirname(fileURLToPath(import.meta.url));
const clientRoot = resolve(here, "..", "..");
const example = resolve(clientRoot, "..", "..", "examples", "web");
const haveBrowser = existsSync("/usr/bin/chromium") && existsSync("/usr/bin/chromedriver");
const skip = !haveBrowser && !process.env.REQUIRE_BROWSER ? "Chromium is not installed" : false;

let issuer: Issuer;
let service: Service;
let site: Server;
let siteUrl = "";
let driver: ChildProcess | undefined;
let driverUrl = "";

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript" };

/** examples/web, with the built client under /client/ and openapi-fetch under /vendor/. */
async function serveExample(): Promise<void> {
  site = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = path.startsWith("/client/")
      ? join(clientRoot, "dist", "src", path.slice("/client/".length))
      : path === "/vendor/openapi-fetch.mjs"
        ? join(clientRoot, "node_modules", "openapi-fetch", "dist", "index.mjs")
        : join(example, path === "/" ? "index.html" : path.slice(1));
    if (!file.startsWith(clientRoot) && !file.startsWith(example)) {
      res.statusCode = 403;
      return res.end();
    }
    try {
      const body = readFileSync(file);
      res.setHeader("Content-Type", TYPES[extname(file)] ?? "application/octet-stream");
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  const port = await freePort();
  await new Promise<void>((r) => site.listen(port, "127.0.0.1", r));
  siteUrl = `http://127.0.0.1:${port}`;
}

async function webdriver(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(driverUrl + path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()).value;
}

before(async () => {
  if (skip) return;
  issuer = await startIssuer();
  await serveExample();
  service = await startService({
    APP__AUTH__MODE: "all",
    APP__AUTH__JWT__ISSUER: issuer.url,
    APP__AUTH__JWT__AUDIENCE: AUDIENCE,
    APP__AUTH__JWT__JWKS_URL: issuer.jwksUrl,
    APP__CORS__ALLOWED_ORIGINS: siteUrl,
  });
  const port = await freePort();
  driver = spawn("/usr/bin/chromedriver", [`--port=${port}`], { stdio: "ignore" });
  driverUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${driverUrl}/status`)).ok) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error("chromedriver did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  driver?.kill();
  await service?.stop();
  await issuer?.close();
  site?.close();
});

test("a page on another origin signs in and gets the preferred item", { skip }, async () => {
  const profile = mkdtempSync(join(tmpdir(), "pis-chromium-"));
  const session = await webdriver("POST", "/session", {
    capabilities: {
      alwaysMatch: {
        browserName: "chrome",
        "goog:chromeOptions": {
          binary: "/usr/bin/chromium",
          args: [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            `--user-data-dir=${profile}`,
          ],
        },
      },
    },
  });
  const id = session.sessionId;
  try {
    const page = `${siteUrl}/index.html?api=${encodeURIComponent(service.baseUrl)}&issuer=${encodeURIComponent(issuer.url)}`;
    await webdriver("POST", `/session/${id}/url`, { url: page });
    let result = "";
    let error = "";
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      result = await webdriver("POST", `/session/${id}/execute/sync`, {
        script: "return document.getElementById('result').textContent",
        args: [],
      });
      error = await webdriver("POST", `/session/${id}/execute/sync`, {
        script: "return document.getElementById('error').textContent",
        args: [],
      });
      if (result || error) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(error, "");
    assert.equal(result, "Preferred: item1 (Normal, 10) of 1 candidate(s)");
  } finally {
    await webdriver("DELETE", `/session/${id}`);
  }
});
