/**
 * Recognising the AWS SDK's expected failures. By name and status as well as by class: an error
 * from another copy of the SDK (a Lambda runtime's, say) is not `instanceof` this copy's classes.
 */

/** A DynamoDB conditional write whose condition did not hold. */
export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string }).name === "ConditionalCheckFailedException";
}

/** An S3 GET/HEAD of a key that does not exist (HEAD answers a bare 404 "NotFound"). */
export function isMissingObject(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === "NoSuchKey" || name === "NotFound" || status === 404;
}

/**
 * The service answered and said no (a 4xx such as a failed condition or a validation error): the
 * write did not happen and never will. Timeouts, resets and 5xx answers are not refusals: the
 * write may have applied, or may still apply.
 */
export function isDefiniteRefusal(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
