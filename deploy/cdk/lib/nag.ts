// The cdk-nag findings this stack accepts, each with its reason. Anything
// else that cdk-nag's AWS Solutions pack finds fails the synth.

import { Validations } from "aws-cdk-lib";
import { IConstruct } from "constructs";

import { ServiceStack } from "./service-stack";

function child(scope: IConstruct, path: string): IConstruct {
  return path.split("/").reduce((node, id) => node.node.findChild(id), scope);
}

export function acknowledgeAcceptedFindings(stack: ServiceStack): void {
  const accept = (construct: IConstruct, id: string, reason: string) =>
    Validations.of(construct).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });

  accept(child(stack, "LoadBalancerSg"), "EC23",
    "The internet-facing load balancer must accept 443 (and 80, which only redirects to 443) from anywhere; nothing else in the stack is open to the internet.");
  accept(child(stack, "Database"), "RDS11",
    "PostgreSQL keeps its standard port: the security group admits only the tasks, and a different port would hide nothing from them.");
  accept(child(stack, "Task"), "ECS2",
    "The environment holds only non-secret settings (ports, sslmode, the CA bundle path); the database credentials and API keys come through `secrets`.");
  accept(child(stack, "MigrateTask"), "ECS2",
    "The environment holds only non-secret settings; the database credentials come through `secrets`.");
  accept(child(stack, "AccessLogs"), "S1",
    "This bucket receives the load balancer's access logs; logging access to the log bucket itself would only log the log delivery.");
  if (!stack.production) {
    accept(child(stack, "Database"), "RDS3",
      "Outside production (context production=false) the database runs in one zone, to halve its cost; production turns Multi-AZ on.");
    accept(child(stack, "Database"), "RDS10",
      "Outside production (context production=false) the database can be deleted with the stack; production turns deletion protection on.");
  }
  accept(child(stack, "Task/TaskRole"), "IAM5[Resource::*]",
    "The collector beside the service writes trace segments to X-Ray, whose PutTraceSegments, PutTelemetryRecords and sampling actions support no resource-level permissions.");
  for (const task of ["Task", "MigrateTask"]) {
    accept(child(stack, `${task}/ExecutionRole`), "IAM5[Resource::*]",
      "ecr:GetAuthorizationToken cannot be scoped to a resource; the pull itself is granted on the one repository.");
  }
  // The log-retention function that CDK adds for the database's log exports.
  const logRetention = stack.node.children.find((c) => c.node.id.startsWith("LogRetention"));
  if (logRetention) {
    accept(logRetention, "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "CDK's log-retention function uses the AWS-managed basic execution role to write its own logs.");
    accept(logRetention, "IAM5[Resource::*]",
      "CDK's log-retention function sets retention on log groups that RDS creates with names not known at synth time.");
  }
}
