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
