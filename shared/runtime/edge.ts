/*
 * A deployment fact kept apart from app-deps.ts, which loads every AWS client: the HTTP pipeline of
 * every function reads it, the lightest ones (the API document, the admin page) included.
 */

/**
 * Behind the stack's CloudFront edge (-c edge=true), CloudFront adds a header with this secret to
 * every request it forwards: requests without it did not come through the edge (nor its WAF) and are
 * refused, and only with it is CloudFront's view of the client's address (CloudFront-Viewer-Address)
 * trusted. PHOTO_ANALYSIS_ORIGIN_SECRET, set by the stack on the HTTP functions; unset: no edge.
 */
export function edgeOriginFrom(env: NodeJS.ProcessEnv): { secret?: string } {
  return { secret: env.PHOTO_ANALYSIS_ORIGIN_SECRET || undefined };
}
