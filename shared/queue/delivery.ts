/** Deliveries of one message before SQS moves it to the dead-letter queue (the stack's maxReceiveCount; the local queue's too). */
export const DEFAULT_MAX_RECEIVES = 3;

export function maxReceivesFrom(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PHOTO_ANALYSIS_QUEUE_MAX_RECEIVES);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_RECEIVES;
}
