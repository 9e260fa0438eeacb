// Builds the app: the stack, checked by cdk-nag's AWS Solutions pack, with
// the findings this design accepts acknowledged, each with its reason.

import { App, AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";

import { acknowledgeAcceptedFindings } from "./nag";
import { readSettings } from "./settings";
import { ServiceStack } from "./service-stack";

export function buildApp(props?: AppProps): { app: App; stack: ServiceStack } {
  const app = new App(props);
  const settings = readSettings(app.node);
  const stack = new ServiceStack(app, "PreferredItemService", {
    settings,
    env: { region: settings.region },
    description: "Preferred Item Service: ECS Fargate behind an ALB, over RDS for PostgreSQL",
  });
  acknowledgeAcceptedFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
