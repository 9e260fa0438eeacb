// The service's real binary for the tests, over its own private PostgreSQL
// cluster (started by the binary from the machine's server binaries, in a
// temporary directory), stopped again afterwards.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

export function binary(): string {
  const candidates = [
    process.env.PIS_BIN,
    join(repo, "target", "release", "preferred-item-service"),
    join(repo, "target", "debug", "preferred-item-service"),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error("no preferred-item-service binary: cargo build --release, or set PIS_BIN");
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface Service {
  baseUrl: string;
  /** Stops the database under the running service. */
  stopDatabase(): void;
  /** Starts it again, on the same port. */
  startDatabase(): void;
  stop(): Promise<void>;
}

export async function startService(env: Record<string, string>): Promise<Service> {
  const work = mkdtempSync(join(tmpdir(), "pis-client-test-"));
  // As root, the cluster runs as `postgres`, which must reach its directory.
  chmodSync(work, 0o755);
  const dataDir = join(work, "postgres");
  const port = await freePort();
  const child: ChildProcess = spawn(binary(), ["serve"], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      APP__SERVER__HOST: "127.0.0.1",
      APP__SERVER__PORT: String(port),
      APP__SERVER__METRICS_PORT: "0",
      APP__EMBEDDED_DATABASE__DATA_DIR: dataDir,
      APP__DEMO_DATA: "true",
      APP__LOG__FORMAT: "json",
      RUST_LOG: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited: ${stderr}`);
    try {
      if ((await fetch(`${baseUrl}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the service did not get ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // The cluster's own pg_ctl, run as the cluster's owner.
  const options = readFileSync(join(dataDir, "postmaster.opts"), "utf8");
  const pgCtl = join(dirname(options.split(" ")[0]), "pg_ctl");
  const owner = statSync(dataDir);
  const dbPort = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[3];
  const pgctl = (args: string[]) => {
    const result = spawnSync(pgCtl, args, { uid: owner.uid, gid: owner.gid, cwd: "/", stdio: "ignore" });
    if (result.status !== 0) throw new Error(`pg_ctl ${args[0]} failed`);
  };
  const startArgs = [
    "start", "--wait", "--silent", "-D", dataDir, "-l", join(dataDir, "server.log"),
    "-o", `-p ${dbPort} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
  ];
  return {
    baseUrl,
    stopDatabase: () => pgctl(["stop", "--wait", "--silent", "-m", "fast", "-D", dataDir]),
    startDatabase: () => pgctl(startArgs),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      spawnSync(pgCtl, ["stop", "--wait", "--silent", "-m", "immediate", "-D", dataDir], {
        uid: owner.uid, gid: owner.gid, cwd: "/", stdio: "ignore",
      });
      rmSync(work, { recursive: true, force: true });
    },
  };
}
