import { timingSafeEqual } from "node:crypto";
import { InvalidTokenError } from "../../shared/auth/tokens.js";
import { ForbiddenError, UnauthorizedError } from "../../shared/domain/errors.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import type { HttpEvent } from "../http.js";

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The deployment's static admin token (PHOTO_ANALYSIS_ADMIN_TOKEN, local use), compared in constant time. */
export function isAdminToken(token: string, deps: Pick<AppDeps, "admin">): boolean {
  return deps.admin.token !== undefined && sameSecret(token, deps.admin.token);
}

/**
 * Admin only: the configured static token (local use, PHOTO_ANALYSIS_ADMIN_TOKEN), or a verified
 * JWT whose groups include the admin group. No token or a bad one is 401; a valid user who is not
 * an admin is 403.
 */
export async function requireAdmin(event: HttpEvent, deps: Pick<AppDeps, "admin" | "tokens">): Promise<void> {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const token = header ? /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1] : undefined;
  if (!token) throw new UnauthorizedError("Admin sign-in required.");
  if (isAdminToken(token, deps)) return;
  if (!deps.tokens) throw new UnauthorizedError("Invalid admin token.");
  let groups: string[];
  try {
    groups = (await deps.tokens.verify(token)).groups;
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new UnauthorizedError("Invalid admin token.");
    throw error;
  }
  if (!groups.includes(deps.admin.group)) throw new ForbiddenError();
}
