/**
 * Where a deployment keeps its parameters, under PHOTO_ANALYSIS_SSM_PREFIX (`/photo-analysis/<stage>`):
 *
 *   <prefix>/settings/<PHOTO_ANALYSIS_…>   live settings (String), readable by the functions that use settings
 *   <prefix>/secrets/<SDK variable name>    API keys (SecureString under the stack's key), readable by the analysing functions only
 *
 * IAM authorizes GetParametersByPath against the path asked for, whatever it returns: settings and
 * secrets are siblings so that no grant on one path covers the other. Before this layout, settings
 * were `<prefix>/<NAME>` beside `<prefix>/secrets/` (ssm-migration.ts moves them).
 */

function root(prefix: string): string {
  return prefix.replace(/\/+$/, "");
}

export function settingsPath(prefix: string): string {
  return `${root(prefix)}/settings`;
}

export function secretsPath(prefix: string): string {
  return `${root(prefix)}/secrets`;
}

export function settingParameter(prefix: string, name: string): string {
  return `${settingsPath(prefix)}/${name}`;
}

export function secretParameter(prefix: string, name: string): string {
  return `${secretsPath(prefix)}/${name}`;
}

/** Where a setting lived before the settings/ path. */
export function legacySettingParameter(prefix: string, name: string): string {
  return `${root(prefix)}/${name}`;
}

/** The KMS alias of the key the stack creates for a stage's secrets. */
export function secretsKeyAlias(prefix: string): string {
  return `alias${root(prefix)}/secrets`;
}
