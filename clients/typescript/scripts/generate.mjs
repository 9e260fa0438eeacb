// Regenerates src/schema.d.ts from the OpenAPI document that the service's
// binary prints (`preferred-item-service openapi`), through openapi-typescript.
//
//   PIS_BIN=path/to/preferred-item-service npm run generate
//   npm run generate -- --check     # fail if the committed files differ
//
// Without PIS_BIN, the binary of a `cargo build` in the repository is used.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const repo = resolve(root, "..", "..");
const check = process.argv.includes("--check");

const candidates = [
  process.env.PIS_BIN,
  join(repo, "target", "debug", "preferred-item-service"),
  join(repo, "target", "release", "preferred-item-service"),
].filter(Boolean);
const binary = candidates.find((path) => existsSync(path));
if (!binary) {
  console.error("no preferred-item-service binary: build it (cargo build) or set PIS_BIN");
  process.exit(2);
}

const document = execFileSync(binary, ["openapi"], { encoding: "utf8", env: { PATH: process.env.PATH } });
const header =
  "// Generated from the service's OpenAPI document by openapi-typescript\n" +
  "// (`npm run generate`). Do not edit: change the service, then regenerate.\n\n";
const schema = header + astToString(await openapiTS(JSON.parse(document)));

const targets = [
  [join(root, "openapi.json"), document.endsWith("\n") ? document : document + "\n"],
  [join(root, "src", "schema.d.ts"), schema],
];
if (check) {
  const stale = targets.filter(([path, text]) => !existsSync(path) || readFileSync(path, "utf8") !== text);
  if (stale.length > 0) {
    const scratch = mkdtempSync(join(tmpdir(), "pis-client-"));
    for (const [path, text] of stale) writeFileSync(join(scratch, path.split("/").pop()), text);
    console.error(
      `the generated client is stale: ${stale.map(([p]) => p.slice(root.length + 1)).join(", ")} ` +
        `differ from a fresh generation (written to ${scratch}); run npm run generate and commit`,
    );
    process.exit(1);
  }
  console.log("generated client: up to date");
} else {
  for (const [path, text] of targets) writeFileSync(path, text);
  console.log(`generated ${targets.map(([p]) => p.slice(root.length + 1)).join(" and ")} from ${binary}`);
}
