#!/usr/bin/env -S npx tsx
/**
 * `npm run ssm-layout -- --stage prod [--dry-run]`: moves a deployment's parameters to the current
 * layout (shared/config/ssm-layout.ts), once, after deploying the release that introduced it:
 * settings still at `/photo-analysis/<stage>/<NAME>` go to `settings/<NAME>` (unless one was set
 * there since), API keys under `secrets/` are put again under the stack's key, and the old settings
 * are deleted. `--dry-run` prints the plan and changes nothing. AWS credentials and region come from
 * the SDK's standard chain (AWS_PROFILE, AWS_REGION…).
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import { fail, parseCommandLine } from "../shared/cli/args.js";
import { palette } from "../shared/cli/output.js";
import { defaultSettingStrings, SETTING_NAMES } from "../shared/config/settings.js";
import { secretsKeyAlias } from "../shared/config/ssm-layout.js";
import { applyLayoutMove, planLayoutMove } from "../shared/config/ssm-migration.js";

const USAGE = "usage: npm run ssm-layout -- (--stage dev|prod | --prefix /photo-analysis/<stage>) [--dry-run]";
const { values } = parseCommandLine(
  {
    options: {
      stage: { type: "string" },
      prefix: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  },
  USAGE,
);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (Boolean(values.stage) === Boolean(values.prefix)) fail(`name the deployment with --stage or --prefix (one of them)\n${USAGE}`);
if (values.stage && !/^[a-z0-9-]+$/.test(values.stage)) fail(`--stage must be a stage name such as dev or prod, got ${values.stage}`);
const prefix = values.prefix ?? `/photo-analysis/${values.stage}`;
if (!/^\/[\w./-]+$/.test(prefix)) fail(`--prefix must be an SSM path such as /photo-analysis/prod, got ${prefix}`);

const colors = palette();
const ssm = new SSMClient({});
const dryRun = values["dry-run"];
try {
  const move = await planLayoutMove(ssm, { prefix, names: SETTING_NAMES, defaults: defaultSettingStrings() });
  console.log(colors.bold(`${dryRun ? "DRY RUN: nothing will change. " : ""}Parameters of ${prefix}`));
  for (const { name, value } of move.copy) console.log(`  setting ${name}: ${prefix}/${name} → ${prefix}/settings/${name} (${JSON.stringify(value)})`);
  for (const { name, old, current } of move.conflicts)
    console.log(`  setting ${name}: keeps ${JSON.stringify(current)} (set under settings/ since); the old ${JSON.stringify(old)} is dropped`);
  for (const name of move.removeLegacy) console.log(`  delete old ${name}`);
  for (const { name, keyId } of move.reencrypt) console.log(`  secret ${name}: encrypted with ${keyId} → put again with ${secretsKeyAlias(prefix)}`);
  const changes = move.copy.length + move.removeLegacy.length + move.reencrypt.length;
  if (!changes) console.log("  nothing to move: the parameters already follow the current layout");
  if (!dryRun && changes) {
    await applyLayoutMove(ssm, prefix, move);
    console.log(
      colors.green(
        `done: ${move.copy.length} settings moved, ${move.reencrypt.length} secrets re-encrypted, ${move.removeLegacy.length} old parameters deleted`,
      ),
    );
  }
} catch (error) {
  fail(`${(error as Error).name}: ${(error as Error).message}`, 1);
} finally {
  ssm.destroy();
}
