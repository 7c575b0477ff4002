/** Deliveries of one message before SQS moves it to the dead-letter queue (the stack's maxReceiveCount; the local queue's too). */
export const DEFAULT_MAX_RECEIVES = 3;

export function maxReceivesFrom(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PHOTO_ANALYSIS_QUEUE_MAX_RECEIVES);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_RECEIVES;
}

/** The local queue's visibility timeout (PHOTO_ANALYSIS_QUEUE_VISIBILITY_TIMEOUT_SECONDS), or undefined for its default; in AWS the stack sets the queue's. */
export function visibilityTimeoutMsFrom(env: NodeJS.ProcessEnv): number | undefined {
  const seconds = Number(env.PHOTO_ANALYSIS_QUEUE_VISIBILITY_TIMEOUT_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
