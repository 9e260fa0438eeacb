// The values a deployment fills in, read from CDK context (`cdk.json`, or
// `-c key=value` on the command line). Nothing here looks anything up in an
// AWS account, so that `cdk synth` works offline and without credentials.

import { Node } from "constructs";

export type CpuArchitecture = "X86_64" | "ARM64";

export interface ServiceSettings {
  /** The region to deploy to; the account comes from your credentials. */
  readonly region: string;
  /** The container image, e.g. an ECR repository URI with a tag. */
  readonly image: string;
  /** The ACM certificate of the HTTPS listener. */
  readonly certificateArn: string;
  /** Optional: a DNS name for the load balancer, in `hostedZoneName`. */
  readonly domainName?: string;
  readonly hostedZoneId?: string;
  readonly hostedZoneName?: string;
  /** Multi-AZ database, deletion protection, retained data: on for production. */
  readonly production: boolean;
  readonly cpuArchitecture: CpuArchitecture;
  /** SSM SecureString parameter with `APP__AUTH__KEYS` (digests only). */
  readonly apiKeysParameter: string;
  /** Tasks: at least this many, scaling up to `maxTasks`. */
  readonly minTasks: number;
  readonly maxTasks: number;
}

function text(node: Node, key: string, fallback?: string): string {
  const value = node.tryGetContext(key) ?? fallback;
  if (typeof value !== "string" || value.length === 0) {
    throw new Error(`context ${key}: set it in cdk.json or with -c ${key}=…`);
  }
  return value;
}

function flag(node: Node, key: string, fallback: boolean): boolean {
  const value = node.tryGetContext(key);
  if (value === undefined) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new Error(`context ${key}: must be true or false, not ${JSON.stringify(value)}`);
}

function count(node: Node, key: string, fallback: number): number {
  const value = Number(node.tryGetContext(key) ?? fallback);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`context ${key}: must be a whole number of at least 1`);
  }
  return value;
}

export function readSettings(node: Node): ServiceSettings {
  const cpuArchitecture = text(node, "cpuArchitecture", "X86_64");
  if (cpuArchitecture !== "X86_64" && cpuArchitecture !== "ARM64") {
    throw new Error("context cpuArchitecture: must be X86_64 or ARM64");
  }
  const domainName = node.tryGetContext("domainName") || undefined;
  const settings: ServiceSettings = {
    region: text(node, "region"),
    image: text(node, "image"),
    certificateArn: text(node, "certificateArn"),
    domainName,
    hostedZoneId: domainName ? text(node, "hostedZoneId") : undefined,
    hostedZoneName: domainName ? text(node, "hostedZoneName") : undefined,
    production: flag(node, "production", true),
    cpuArchitecture,
    apiKeysParameter: text(node, "apiKeysParameter", "/preferred-item-service/api-keys"),
    minTasks: count(node, "minTasks", 2),
    maxTasks: count(node, "maxTasks", 8),
  };
  if (settings.maxTasks < settings.minTasks) {
    throw new Error("context maxTasks: must be at least minTasks");
  }
  return settings;
}
