#!/usr/bin/env node
// `cdk synth` runs this: the one stack, with its values from cdk.json.

import { buildApp } from "../lib/app";

buildApp().app.synth();
