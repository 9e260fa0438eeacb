// Preferred Item Service on ECS Fargate behind an Application Load
// Balancer, over RDS for PostgreSQL 16, in a VPC of its own.
//
// Traffic: internet -> ALB (443; 80 redirects) -> tasks (8080) -> database
// (5432). Nothing else is open: the metrics port (9090) admits only the
// VPC, for a scraper or the ADOT collector, never the load balancer.

import { Duration, RemovalPolicy, Stack, StackProps, CfnOutput } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as rds from "aws-cdk-lib/aws-rds";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as route53Targets from "aws-cdk-lib/aws-route53-targets";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import * as fs from "fs";
import * as path from "path";

import { ServiceSettings } from "./settings";

/** The service's ports and its shutdown grace (`APP__SERVER__SHUTDOWN_GRACE_SECS`). */
export const HTTP_PORT = 8080;
export const METRICS_PORT = 9090;
export const SHUTDOWN_GRACE_SECS = 25;
/** Where the image keeps the RDS CA bundle (deploy/certs/ at build time). */
export const RDS_CA_BUNDLE = "/etc/preferred-item-service/certs/global-bundle.pem";
const BINARY = "/usr/local/bin/preferred-item-service";
/** The VPC's address range: fixed, so that rules naming it are plain. */
export const VPC_CIDR = "10.40.0.0/16";
const DATABASE_NAME = "catalog";
/** The role the service runs as: rows of every table, no DDL. `migrate
 * --service-role` creates it and grants it; its secret rotates with
 * multi-user rotation. */
export const SERVICE_ROLE = "catalog_app";

/** The AWS Distro for OpenTelemetry collector, pinned, and where it takes
 * the service's spans (OTLP/HTTP on the task's loopback interface). */
export const COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3";
export const OTLP_ENDPOINT = "http://127.0.0.1:4318";
/** The share of requests traced when no trusted caller decided. */
export const TRACE_SAMPLING_RATIO = "0.1";
/** The collector's configuration, deploy/otel/collector.yaml, shared with
 * the Kubernetes manifests (read from the compiled dist/lib/). */
export function collectorConfig(): string {
  return fs.readFileSync(path.join(__dirname, "..", "..", "..", "otel", "collector.yaml"), "utf8");
}

/** An ECR image through its repository, so that the execution role is
 * granted the pull; any other registry as it is. */
function containerImage(scope: Construct, uri: string): ecs.ContainerImage {
  const ecrImage = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)[:@](.+)$/.exec(uri);
  if (!ecrImage) {
    return ecs.ContainerImage.fromRegistry(uri);
  }
  const [, account, region, name, tag] = ecrImage;
  const repository = ecr.Repository.fromRepositoryAttributes(scope, "Repository", {
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:${region}:${account}:repository/${name}`,
  });
  return ecs.ContainerImage.fromEcrRepository(repository, tag);
}

export interface ServiceStackProps extends StackProps {
  readonly settings: ServiceSettings;
}

export class ServiceStack extends Stack {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly service: ecs.FargateService;
  readonly database: rds.DatabaseInstance;
  readonly production: boolean;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const s = props.settings;
    this.production = s.production;
    const removal = s.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // Public subnets hold only the load balancer and the NAT gateway; the
    // tasks run in private subnets, the database in isolated ones.
    const vpc = new ec2.Vpc(this, "Vpc", {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways: s.production ? 2 : 1,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: "tasks", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: "database", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
    });
    vpc.addFlowLog("FlowLog", {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, "FlowLogs", {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: removal,
        }),
      ),
    });

    // Security groups: the least access that works.
    const albSg = new ec2.SecurityGroup(this, "LoadBalancerSg", {
      vpc,
      description: "Internet to the load balancer on 443 and 80",
      allowAllOutbound: false,
    });
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS from the internet");
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "HTTP, redirected to HTTPS");
    const taskSg = new ec2.SecurityGroup(this, "TaskSg", {
      vpc,
      description: "Load balancer to the tasks on the service port; metrics from the VPC",
      allowAllOutbound: true,
    });
    taskSg.addIngressRule(albSg, ec2.Port.tcp(HTTP_PORT), "The load balancer");
    taskSg.addIngressRule(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(METRICS_PORT), "Metrics scrapers inside the VPC");
    albSg.addEgressRule(taskSg, ec2.Port.tcp(HTTP_PORT), "To the tasks");
    const dbSg = new ec2.SecurityGroup(this, "DatabaseSg", {
      vpc,
      description: "Tasks to the database on 5432",
      allowAllOutbound: false,
    });
    dbSg.addIngressRule(taskSg, ec2.Port.tcp(5432), "The tasks");

    // RDS for PostgreSQL 16: encrypted, TLS only, credentials in Secrets
    // Manager with rotation.
    const parameters = new rds.ParameterGroup(this, "DatabaseParameters", {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      parameters: { "rds.force_ssl": "1" },
    });
    this.database = new rds.DatabaseInstance(this, "Database", {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [dbSg],
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret("catalog"),
      parameterGroup: parameters,
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 200,
      storageType: rds.StorageType.GP3,
      multiAz: s.production,
      deletionProtection: s.production,
      removalPolicy: s.production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      backupRetention: Duration.days(s.production ? 14 : 1),
      cloudwatchLogsExports: ["postgresql"],
      cloudwatchLogsRetention: logs.RetentionDays.ONE_MONTH,
      enablePerformanceInsights: true,
      autoMinorVersionUpgrade: true,
    });
    const secret = this.database.secret!;
    this.database.addRotationSingleUser({ automaticallyAfter: Duration.days(30) });
    // The service's own credentials. Multi-user rotation alternates the
    // secret between the role and a clone (a member of it), changing only
    // the password of the one it switches to: the password a running task
    // read at start stays valid for a whole rotation period after the
    // secret moves on, so rotation never breaks a running task; a task
    // started later reads the new pair. Tasks are replaced by every
    // deployment, well within 30 days. The first rotation waits one
    // period: the role exists once the first task's migrate container
    // has run.
    const serviceSecret = new rds.DatabaseSecret(this, "ServiceSecret", {
      username: SERVICE_ROLE,
      masterSecret: secret,
    }).attach(this.database);
    this.database.addRotationMultiUser("ServiceRotation", {
      secret: serviceSecret,
      automaticallyAfter: Duration.days(30),
      rotateImmediatelyOnUpdate: false,
    });

    // The task: the image, the secret's fields as PG* variables, TLS with
    // verify-full against the RDS bundle, liveness as the container health
    // check (a failing one replaces the task), a stop timeout above the
    // shutdown grace.
    const cluster = new ecs.Cluster(this, "Cluster", { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const logGroup = new logs.LogGroup(this, "ServiceLogs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: removal,
    });
    const apiKeys = ssm.StringParameter.fromSecureStringParameterAttributes(this, "ApiKeys", {
      parameterName: s.apiKeysParameter,
    });
    const runtimePlatform = {
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      cpuArchitecture:
        s.cpuArchitecture === "ARM64" ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
    };
    const environment = {
      APP_ENVIRONMENT: "production",
      APP__SERVER__PORT: String(HTTP_PORT),
      APP__SERVER__METRICS_PORT: String(METRICS_PORT),
      APP__SERVER__SHUTDOWN_GRACE_SECS: String(SHUTDOWN_GRACE_SECS),
      APP__RATE_LIMIT__TRUSTED_PROXIES: VPC_CIDR,
      PGDATABASE: DATABASE_NAME,
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: RDS_CA_BUNDLE,
      RUST_LOG: "info",
      // Traces go to the collector beside the service (README "Tracing").
      OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT,
      OTEL_SERVICE_NAME: "preferred-item-service",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: TRACE_SAMPLING_RATIO,
    };
    const secrets = {
      PGHOST: ecs.Secret.fromSecretsManager(serviceSecret, "host"),
      PGPORT: ecs.Secret.fromSecretsManager(serviceSecret, "port"),
      PGUSER: ecs.Secret.fromSecretsManager(serviceSecret, "username"),
      PGPASSWORD: ecs.Secret.fromSecretsManager(serviceSecret, "password"),
      APP__AUTH__KEYS: ecs.Secret.fromSsmParameter(apiKeys),
    };
    // Migrations run as the schema's owner (the master user), which also
    // creates and grants the service role.
    const ownerSecrets = {
      PGHOST: ecs.Secret.fromSecretsManager(secret, "host"),
      PGPORT: ecs.Secret.fromSecretsManager(secret, "port"),
      PGUSER: ecs.Secret.fromSecretsManager(secret, "username"),
      PGPASSWORD: ecs.Secret.fromSecretsManager(secret, "password"),
      SERVICE_ROLE_PASSWORD: ecs.Secret.fromSecretsManager(serviceSecret, "password"),
    };
    const migrateEnvironment = {
      APP_ENVIRONMENT: "production",
      PGDATABASE: DATABASE_NAME,
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: RDS_CA_BUNDLE,
      // It serves nothing, so it needs no keys: auth off, on purpose.
      APP__AUTH__MODE: "off",
      APP__AUTH__ALLOW_OFF_IN_PRODUCTION: "true",
      RUST_LOG: "info",
    };
    const migrateCommand = ["migrate", "--service-role", SERVICE_ROLE];
    const image = containerImage(this, s.image);

    // Sizes from BENCHMARKS.md: at 1M items the catalog in memory keeps the
    // service at about 300 MB resident (275 MB measured), no more during a
    // snapshot reload (applied in place); the rest is headroom for bursts of 16 MiB
    // bodies. CPU is what throughput needs, and autoscaling adds tasks.
    const task = new ecs.FargateTaskDefinition(this, "Task", {
      cpu: 1024,
      memoryLimitMiB: 2048,
      runtimePlatform,
    });
    const container = task.addContainer("service", {
      image,
      environment,
      secrets,
      portMappings: [
        { containerPort: HTTP_PORT, name: "http" },
        { containerPort: METRICS_PORT, name: "metrics" },
      ],
      healthCheck: {
        command: ["CMD", BINARY, "healthcheck", "--live"],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      stopTimeout: Duration.seconds(SHUTDOWN_GRACE_SECS + 15),
      readonlyRootFilesystem: true,
      user: "10001:10001",
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "service" }),
    });
    container.addUlimits({ name: ecs.UlimitName.NOFILE, softLimit: 65536, hardLimit: 65536 });
    // Each task first applies migrations and grants the service role (as
    // the owner; a no-op when nothing changed), then the service starts
    // as the role: a first deployment needs no manual step.
    const init = task.addContainer("migrate", {
      image,
      command: migrateCommand,
      essential: false,
      environment: migrateEnvironment,
      secrets: ownerSecrets,
      readonlyRootFilesystem: true,
      user: "10001:10001",
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "migrate" }),
    });
    container.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.SUCCESS });

    // The collector: started before the service and, as ECS stops
    // containers in the reverse order of their dependencies, stopped after
    // it, so that the service's flush at SIGTERM still finds it. Not
    // essential: a collector that fails costs the service only the spans it
    // drops (counted in trace_spans_dropped_total).
    const collector = task.addContainer("otel-collector", {
      image: ecs.ContainerImage.fromRegistry(COLLECTOR_IMAGE),
      essential: false,
      environment: { AOT_CONFIG_CONTENT: collectorConfig() },
      memoryLimitMiB: 128,
      healthCheck: {
        command: ["CMD", "/healthcheck"],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      user: "10001:10001",
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "otel-collector" }),
    });
    container.addContainerDependencies({ container: collector, condition: ecs.ContainerDependencyCondition.START });
    // X-Ray's write actions take no resource: the statement names them alone.
    task.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
      ],
      resources: ["*"],
    }));

    // The one-off migration task: the same `migrate`, for operators who
    // apply a migration before a rollout (README).
    const migrate = new ecs.FargateTaskDefinition(this, "MigrateTask", {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform,
    });
    migrate.addContainer("migrate", {
      image,
      command: migrateCommand,
      environment: migrateEnvironment,
      secrets: ownerSecrets,
      readonlyRootFilesystem: true,
      user: "10001:10001",
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "migrate" }),
    });

    this.service = new ecs.FargateService(this, "Service", {
      cluster,
      taskDefinition: task,
      desiredCount: s.minTasks,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [taskSg],
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
    });

    // The load balancer: HTTPS, HTTP redirected, access logs, readiness as
    // the target health check, a deregistration delay that covers the
    // shutdown grace.
    const accessLogs = new s3.Bucket(this, "AccessLogs", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: removal,
      autoDeleteObjects: !s.production,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, "LoadBalancer", {
      vpc,
      internetFacing: true,
      securityGroup: albSg,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(60),
    });
    this.loadBalancer.logAccessLogs(accessLogs, "alb");
    const https = this.loadBalancer.addListener("Https", {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(s.certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });
    this.loadBalancer.addListener("Http", {
      port: 80,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: "HTTPS", port: "443", permanent: true }),
    });
    const targets = https.addTargets("Tasks", {
      port: HTTP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service.loadBalancerTarget({ containerName: "service", containerPort: HTTP_PORT })],
      healthCheck: {
        path: "/health/ready",
        healthyHttpCodes: "200",
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      // Deregistration waits for in-flight requests: the service finishes
      // them within its shutdown grace, so a little more than that.
      deregistrationDelay: Duration.seconds(SHUTDOWN_GRACE_SECS + 5),
    });

    // Autoscaling on CPU and on requests per target.
    const scaling = this.service.autoScaleTaskCount({ minCapacity: s.minTasks, maxCapacity: s.maxTasks });
    scaling.scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: 60 });
    scaling.scaleOnRequestCount("Requests", { requestsPerTarget: 2000, targetGroup: targets });

    // Alarms: target 5xx, p99 response time, unhealthy hosts.
    new cloudwatch.Alarm(this, "Target5xx", {
      metric: targets.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
        period: Duration.minutes(1),
        statistic: "Sum",
      }),
      threshold: 10,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: "Tasks answered more than 10 5xx a minute for 3 minutes",
    });
    new cloudwatch.Alarm(this, "TargetP99", {
      metric: targets.metrics.targetResponseTime({ period: Duration.minutes(1), statistic: "p99" }),
      threshold: 0.5,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: "p99 target response time above 500 ms for 5 minutes",
    });
    new cloudwatch.Alarm(this, "UnhealthyHosts", {
      metric: targets.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: "Maximum" }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: "At least one task failed readiness for 3 minutes",
    });

    if (s.domainName && s.hostedZoneId && s.hostedZoneName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, "Zone", {
        hostedZoneId: s.hostedZoneId,
        zoneName: s.hostedZoneName,
      });
      new route53.ARecord(this, "Alias", {
        zone,
        recordName: s.domainName,
        target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }

    // What `aws ecs run-task` needs to run the migration (README).
    new CfnOutput(this, "ClusterName", { value: cluster.clusterName });
    new CfnOutput(this, "MigrateTaskDefinition", { value: migrate.taskDefinitionArn });
    new CfnOutput(this, "TaskSubnets", {
      value: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds.join(","),
    });
    new CfnOutput(this, "TaskSecurityGroup", { value: taskSg.securityGroupId });
    new CfnOutput(this, "LoadBalancerDns", { value: this.loadBalancer.loadBalancerDnsName });
  }
}
