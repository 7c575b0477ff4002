/**
 * Imported first by every command (npm start and the CLIs). The project targets Node 22, as its
 * Lambda functions run; older Node still runs it, and npm start's banner says so in one line. The
 * AWS SDK's own nine-line notice about Node versions, printed before every banner and CLI run, is
 * switched off through the SDK's standard variable (set it to "false" to see it again).
 */
export const REQUIRED_NODE_MAJOR = 22;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** One line for an older Node, else undefined. */
export function nodeVersionNote(version: string = process.version): string | undefined {
  const major = Number(/^v?(\d+)/.exec(version)?.[1]);
  if (!Number.isFinite(major) || major >= REQUIRED_NODE_MAJOR) return undefined;
  return `Node ${version} is older than the Node ${REQUIRED_NODE_MAJOR} this project is made for (Lambda runs 22; the AWS SDK's releases from 2027 need it): it works for now, but upgrade (e.g. nvm install ${REQUIRED_NODE_MAJOR}).`;
}
