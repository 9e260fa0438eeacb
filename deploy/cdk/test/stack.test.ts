// The synthesized template, property by property, and the cdk-nag check.
// Run with `npm test` (compiles, then node's test runner).

import assert from "node:assert/strict";
import { test } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Match, Template } from "aws-cdk-lib/assertions";

import { buildApp } from "../lib/app";

const CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "cdk.json"), "utf8")).context;

function synth(overrides: Record<string, unknown> = {}) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cdk-test-"));
  const { app, stack } = buildApp({ context: { ...CONTEXT, ...overrides }, outdir });
  const assembly = app.synth();
  return { template: Template.fromStack(stack), assembly, outdir };
}

const production = synth();
const t = production.template;

function resources(type: string): Record<string, any> {
  return t.findResources(type);
}

test("the tasks and the database run in private subnets", () => {
  const subnets = Object.values(resources("AWS::EC2::Subnet"));
  const privateSubnets = subnets.filter((s) => s.Properties.MapPublicIpOnLaunch === false);
  assert.equal(privateSubnets.length, 4);
  const service = Object.values(resources("AWS::ECS::Service"))[0];
  assert.equal(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, "DISABLED");
  t.hasResourceProperties("AWS::RDS::DBInstance", { PubliclyAccessible: false });
  t.hasResourceProperties("AWS::RDS::DBSubnetGroup", {
    SubnetIds: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp("VpcdatabaseSubnet") })]),
  });
});

test("a Fargate service sits behind an internet-facing ALB", () => {
  t.resourceCountIs("AWS::ECS::Cluster", 1);
  t.hasResourceProperties("AWS::ECS::Service", { LaunchType: "FARGATE" });
  t.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", { Scheme: "internet-facing" });
});

test("HTTPS serves with the certificate and HTTP redirects to HTTPS", () => {
  t.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
    Port: 443,
    Protocol: "HTTPS",
    Certificates: [{ CertificateArn: CONTEXT.certificateArn }],
  });
  t.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
    Port: 80,
    DefaultActions: [
      Match.objectLike({ Type: "redirect", RedirectConfig: Match.objectLike({ Protocol: "HTTPS", Port: "443" }) }),
    ],
  });
});

test("the target group checks readiness and drains within the shutdown grace", () => {
  t.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
    HealthCheckPath: "/health/ready",
    Port: 8080,
    TargetGroupAttributes: Match.arrayWith([{ Key: "deregistration_delay.timeout_seconds", Value: "30" }]),
  });
});

test("the container checks liveness, stops after the grace, and has the benchmarked size", () => {
  t.hasResourceProperties("AWS::ECS::TaskDefinition", {
    Cpu: "1024",
    Memory: "2048",
    RuntimePlatform: { CpuArchitecture: "X86_64", OperatingSystemFamily: "LINUX" },
    ContainerDefinitions: Match.arrayWith([
      Match.objectLike({
        HealthCheck: Match.objectLike({
          Command: ["CMD", "/usr/local/bin/preferred-item-service", "healthcheck", "--live"],
        }),
        StopTimeout: 40,
      }),
    ]),
  });
});

test("the CPU architecture is a parameter", () => {
  const arm = synth({ cpuArchitecture: "ARM64" }).template;
  arm.hasResourceProperties("AWS::ECS::TaskDefinition", {
    RuntimePlatform: { CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" },
  });
  assert.throws(() => synth({ cpuArchitecture: "MIPS" }), /cpuArchitecture/);
});

test("RDS for PostgreSQL 16 is encrypted, TLS-only, Multi-AZ and protected in production", () => {
  t.hasResourceProperties("AWS::RDS::DBInstance", {
    Engine: "postgres",
    EngineVersion: Match.stringLikeRegexp("^16"),
    StorageEncrypted: true,
    MultiAZ: true,
    DeletionProtection: true,
  });
  t.hasResourceProperties("AWS::RDS::DBParameterGroup", { Parameters: { "rds.force_ssl": "1" } });
});

test("outside production, Multi-AZ and deletion protection are off", () => {
  const dev = synth({ production: false }).template;
  dev.hasResourceProperties("AWS::RDS::DBInstance", { MultiAZ: false, DeletionProtection: false });
});

test("credentials live in Secrets Manager, rotate, and reach the tasks as PG* with verify-full", () => {
  // The master user's, and the service role's.
  t.resourceCountIs("AWS::SecretsManager::Secret", 2);
  const schedules = Object.values(resources("AWS::SecretsManager::RotationSchedule"));
  assert.equal(schedules.length, 2);
  assert.ok(schedules.every((r) => r.Properties.RotationRules.ScheduleExpression === "rate(30 days)"));
  const task = Object.values(resources("AWS::ECS::TaskDefinition")).find((r) =>
    r.Properties.ContainerDefinitions[0].Name === "service",
  );
  const container = task.Properties.ContainerDefinitions[0];
  const secrets = Object.fromEntries(container.Secrets.map((s: any) => [s.Name, JSON.stringify(s.ValueFrom)]));
  for (const [name, field] of [["PGHOST", "host"], ["PGPORT", "port"], ["PGUSER", "username"], ["PGPASSWORD", "password"]]) {
    assert.match(secrets[name], new RegExp(`:${field}::`), name);
    // The service runs as its own role, never as the master user.
    assert.match(secrets[name], /ServiceSecretAttachment/, name);
  }
  assert.ok(secrets.APP__AUTH__KEYS);
  const env = Object.fromEntries(container.Environment.map((e: any) => [e.Name, e.Value]));
  assert.equal(env.PGSSLMODE, "verify-full");
  assert.equal(env.PGSSLROOTCERT, "/etc/preferred-item-service/certs/global-bundle.pem");
  assert.ok(!("PGPASSWORD" in env) && !("DATABASE_URL" in env));
});

test("security groups grant the least access that works", () => {
  const groups = resources("AWS::EC2::SecurityGroup");
  const idOf = (prefix: string) => Object.keys(groups).find((id) => id.startsWith(prefix))!;
  const [alb, task, db] = [idOf("LoadBalancerSg"), idOf("TaskSg"), idOf("DatabaseSg")];
  const ingress: any[] = [];
  for (const [id, group] of Object.entries(groups)) {
    for (const rule of group.Properties.SecurityGroupIngress ?? []) ingress.push({ ...rule, GroupId: { "Fn::GetAtt": [id, "GroupId"] } });
  }
  ingress.push(...Object.values(resources("AWS::EC2::SecurityGroupIngress")).map((r) => r.Properties));
  const open = ingress.filter((r) => r.CidrIp === "0.0.0.0/0" || r.CidrIpv6 === "::/0");
  assert.deepEqual(open.map((r) => r.FromPort).sort(), [443, 80].sort());
  assert.ok(open.every((r) => JSON.stringify(r.GroupId).includes(alb)), "only the load balancer is open");
  const to = (group: string) => ingress.filter((r) => JSON.stringify(r.GroupId).includes(group));
  const taskRules = to(task);
  assert.ok(taskRules.some((r) => r.FromPort === 8080 && JSON.stringify(r.SourceSecurityGroupId).includes(alb)));
  assert.ok(taskRules.some((r) => r.FromPort === 9090 && r.CidrIp === "10.40.0.0/16"), "metrics from the VPC only");
  assert.ok(taskRules.every((r) => r.FromPort === 8080 || (r.FromPort === 9090 && r.CidrIp === "10.40.0.0/16")));
  const dbRules = to(db);
  // The tasks, and the two rotation functions on the database's own port.
  assert.equal(dbRules.length, 3);
  assert.ok(dbRules.every((r) => r.SourceSecurityGroupId && !r.CidrIp), "the database admits groups, not ranges");
  assert.ok(dbRules.some((r) => r.FromPort === 5432 && JSON.stringify(r.SourceSecurityGroupId).includes(task)));
  assert.ok(dbRules.some((r) => JSON.stringify(r.SourceSecurityGroupId).includes("RotationSingleUser")));
  assert.ok(dbRules.some((r) => JSON.stringify(r.SourceSecurityGroupId).includes("ServiceRotation")));
});

test("a one-off migration task runs `migrate`", () => {
  t.hasResourceProperties("AWS::ECS::TaskDefinition", {
    ContainerDefinitions: [Match.objectLike({ Name: "migrate", Command: ["migrate", "--service-role", "catalog_app"] })],
  });
  assert.ok(t.findOutputs("MigrateTaskDefinition"));
});

test("the service scales on CPU and on requests per target", () => {
  t.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", { MinCapacity: 2, MaxCapacity: 8 });
  t.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({
      PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
    }),
  });
  t.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({
      PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: "ALBRequestCountPerTarget" }),
    }),
  });
});

test("alarms watch target 5xx, p99 response time and unhealthy hosts", () => {
  t.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "HTTPCode_Target_5XX_Count" });
  t.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "TargetResponseTime", ExtendedStatistic: "p99" });
  t.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "UnHealthyHostCount" });
});

test("every log group keeps its logs for a set time", () => {
  const groups = Object.values(resources("AWS::Logs::LogGroup"));
  assert.ok(groups.length >= 2);
  for (const group of groups) assert.equal(group.Properties.RetentionInDays, 30);
  t.hasResourceProperties("Custom::LogRetention", { RetentionInDays: 30 });
});

test("an optional domain gets an alias record, without any lookup", () => {
  assert.equal(Object.keys(resources("AWS::Route53::RecordSet")).length, 0);
  const named = synth({ domainName: "catalog.example.com", hostedZoneId: "Z0000000000000", hostedZoneName: "example.com" }).template;
  named.hasResourceProperties("AWS::Route53::RecordSet", { Name: "catalog.example.com.", Type: "A" });
});

test("cdk-nag's AWS Solutions pack reports nothing that is not acknowledged with a reason", () => {
  const report = JSON.parse(fs.readFileSync(path.join(production.outdir, "validation-report.json"), "utf8"));
  const text = JSON.stringify(report);
  assert.ok(!/"status":\s*"failure"/i.test(text), text.slice(0, 2000));
  assert.ok(text.includes("AwsSolutions"), "the pack ran");
});

test("the service role's secret rotates with multi-user rotation, so rotation never breaks a running task", () => {
  // Multi-user rotation alternates between the role and a clone and changes
  // only the password of the one it switches to: the pair a running task
  // read at start stays valid for a whole rotation period after the secret
  // moves on (tests/database_connection.rs,
  // multi_user_rotation_never_breaks_a_running_task).
  const template = t.toJSON();
  const serviceSchedule = Object.values(resources("AWS::SecretsManager::RotationSchedule")).find((r) =>
    JSON.stringify(r.Properties.SecretId).includes("ServiceSecretAttachment"),
  );
  assert.ok(serviceSchedule, "the service secret has a rotation schedule");
  const lambda = JSON.stringify(serviceSchedule.Properties.RotationLambdaARN);
  const application = Object.entries(resources("AWS::Serverless::Application")).find(([id]) => lambda.includes(id));
  assert.ok(application, "the schedule uses a rotation application of the stack");
  const mapping = application[1].Properties.Location.ApplicationId["Fn::FindInMap"][0];
  assert.match(JSON.stringify(template.Mappings[mapping]), /SecretsManagerRDSPostgreSQLRotationMultiUser/);
  // The service secret names the role, and rotates with the master secret's
  // rights (the rotation function logs in as the master user).
  const serviceSecret = Object.entries(resources("AWS::SecretsManager::Secret")).find(([id]) => id.startsWith("ServiceSecret"))!;
  assert.match(JSON.stringify(serviceSecret[1].Properties.GenerateSecretString.SecretStringTemplate), /catalog_app.*masterarn/);
});

test("each task first migrates and grants the service role as the owner, then serves as the role", () => {
  const task = Object.values(resources("AWS::ECS::TaskDefinition")).find((r) =>
    r.Properties.ContainerDefinitions[0].Name === "service",
  );
  const [service, migrate] = task.Properties.ContainerDefinitions;
  assert.equal(migrate.Name, "migrate");
  assert.deepEqual(migrate.Command, ["migrate", "--service-role", "catalog_app"]);
  assert.equal(migrate.Essential, false);
  assert.deepEqual(
    service.DependsOn.find((d: any) => d.ContainerName === "migrate"),
    { ContainerName: "migrate", Condition: "SUCCESS" },
  );
  const secrets = Object.fromEntries(migrate.Secrets.map((s: any) => [s.Name, JSON.stringify(s.ValueFrom)]));
  assert.match(secrets.PGUSER, /DatabaseSecretAttachment/);
  assert.match(secrets.SERVICE_ROLE_PASSWORD, /ServiceSecretAttachment.*:password::/);
  assert.ok(!migrate.Secrets.some((s: any) => s.Name === "APP__AUTH__KEYS"), "the migrate container gets no API keys");
});

test("an ADOT collector beside the service exports its traces to X-Ray", () => {
  const task = Object.values(resources("AWS::ECS::TaskDefinition")).find((d) =>
    d.Properties.ContainerDefinitions.some((c: any) => c.Name === "service"),
  )!;
  const containers: any[] = task.Properties.ContainerDefinitions;
  const service = containers.find((c) => c.Name === "service");
  const collector = containers.find((c) => c.Name === "otel-collector");
  assert.ok(collector, "a collector container");
  assert.match(collector.Image, /^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v\d+\.\d+\.\d+$/);
  assert.equal(collector.Essential, false, "a collector that fails never stops the task");
  assert.deepEqual(collector.HealthCheck.Command, ["CMD", "/healthcheck"]);
  const config = collector.Environment.find((e: any) => e.Name === "AOT_CONFIG_CONTENT").Value;
  assert.equal(config, fs.readFileSync(path.join(__dirname, "..", "..", "..", "otel", "collector.yaml"), "utf8"));
  assert.match(config, /endpoint: 127\.0\.0\.1:4318/);
  assert.match(config, /exporters: \[awsxray\]/);
  // The service sends to it, and starts after it (so it stops before it:
  // its flush at SIGTERM finds the collector still running).
  const env = Object.fromEntries(service.Environment.map((e: any) => [e.Name, e.Value]));
  assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, "http://127.0.0.1:4318");
  assert.equal(env.OTEL_SERVICE_NAME, "preferred-item-service");
  assert.equal(env.OTEL_TRACES_SAMPLER, "parentbased_traceidratio");
  assert.equal(env.OTEL_TRACES_SAMPLER_ARG, "0.1");
  assert.deepEqual(
    service.DependsOn.find((d: any) => d.ContainerName === "otel-collector"),
    { ContainerName: "otel-collector", Condition: "START" },
  );
  // The task role may write segments, and nothing else of X-Ray's.
  const roleRef = task.Properties.TaskRoleArn["Fn::GetAtt"][0];
  const policies = Object.values(resources("AWS::IAM::Policy")).filter((p) =>
    p.Properties.Roles.some((r: any) => r.Ref === roleRef),
  );
  const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action)));
  assert.deepEqual(actions.filter((a: string) => a.startsWith("xray:")).sort(), [
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
  ]);
});
