import { Aws, Lazy, type RemovalPolicy, type Stack } from "aws-cdk-lib";
import { AccountRootPrincipal, Effect, type IRole, PolicyDocument, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { CfnAlias, CfnKey } from "aws-cdk-lib/aws-kms";
import { secretsKeyAlias, secretsPath } from "../shared/config/ssm-layout.js";

/** Everything the account's administrators may do with the key except use it to decrypt (nor re-encrypt, which decrypts). */
export const KEY_ADMINISTRATION_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
];

/**
 * The customer-managed key for a stage's API keys (SSM SecureStrings under `<prefix>/secrets/`).
 * Its policy is the whole truth about who may decrypt (it does not delegate use to IAM): only the
 * roles in `decrypters` (the functions that call providers), only through SSM, only parameters
 * under the secrets path. The account may administer the key and encrypt through SSM (operators put
 * secrets with `--key-id <alias>`), never decrypt. Rotated yearly by KMS.
 */
export function secretsKey(stack: Stack, options: { ssmPrefix: string; parameterArn: string; decrypters: IRole[]; removalPolicy: RemovalPolicy }): CfnKey {
  const throughSsm = { "kms:ViaService": `ssm.${Aws.REGION}.amazonaws.com` };
  const secretParameters = { "kms:EncryptionContext:PARAMETER_ARN": `${options.parameterArn}${secretsPath(options.ssmPrefix)}/*` };
  const account = new AccountRootPrincipal();
  const statements = () => [
    new PolicyStatement({ sid: "KeyAdministration", effect: Effect.ALLOW, principals: [account], actions: KEY_ADMINISTRATION_ACTIONS, resources: ["*"] }),
    new PolicyStatement({
      sid: "OperatorsPutSecretsThroughSsm",
      effect: Effect.ALLOW,
      principals: [account],
      actions: ["kms:Encrypt", "kms:GenerateDataKey"],
      resources: ["*"],
      conditions: { StringEquals: throughSsm, StringLike: secretParameters },
    }),
    ...(options.decrypters.length
      ? [
          new PolicyStatement({
            sid: "ProviderCallersDecryptSecretsThroughSsm",
            effect: Effect.ALLOW,
            principals: options.decrypters,
            actions: ["kms:Decrypt"],
            resources: ["*"],
            conditions: { StringEquals: throughSsm, StringLike: secretParameters },
          }),
        ]
      : []),
  ];
  const key = new CfnKey(stack, "SecretsKey", {
    description: `Photo Analysis ${options.ssmPrefix}: provider API keys (SSM SecureStrings under ${secretsPath(options.ssmPrefix)}/)`,
    enableKeyRotation: true,
    // The decrypting roles are known once every function exists: the policy is written at synthesis.
    keyPolicy: Lazy.any({ produce: () => new PolicyDocument({ statements: statements() }) }),
  });
  key.applyRemovalPolicy(options.removalPolicy);
  new CfnAlias(stack, "SecretsKeyAlias", { aliasName: secretsKeyAlias(options.ssmPrefix), targetKeyId: key.ref });
  return key;
}
