import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

/** A signed-in user, as a verified token names them. */
export interface Identity {
  userId: string;
  username: string;
  /** Groups or roles the token grants (Cognito's cognito:groups, else groups or roles). */
  groups: string[];
}

/** Checks a bearer token; throws InvalidTokenError when it is not valid for this service. */
export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/** `sub` is the user; the display name comes from the usual claims (Cognito, OIDC), else the id. */
export function identityFromClaims(claims: Record<string, unknown>): Identity | null {
  if (typeof claims.sub !== "string" || claims.sub === "") return null;
  const name = claims["cognito:username"] ?? claims.preferred_username ?? claims.username ?? claims.email;
  const rawGroups = claims["cognito:groups"] ?? claims.groups ?? claims.roles;
  // API Gateway's authorizer hands list claims over as a string like "[admin editors]".
  const groups = Array.isArray(rawGroups)
    ? rawGroups.filter((group): group is string => typeof group === "string")
    : typeof rawGroups === "string"
      ? rawGroups.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean)
      : [];
  return { userId: claims.sub, username: typeof name === "string" && name ? name : claims.sub, groups };
}

/**
 * Verifies JWTs against an issuer's published keys (JWKS, fetched and cached by `jose`):
 * signature, issuer, audience (when configured), expiry and not-before.
 */
export class JwksTokenVerifier implements TokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly options: { issuer: string; audience?: string; jwksUrl?: string }) {
    const jwksUrl = options.jwksUrl ?? `${options.issuer.replace(/\/+$/, "")}/.well-known/jwks.json`;
    this.keys = createRemoteJWKSet(new URL(jwksUrl));
  }

  async verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.options.issuer, audience: this.options.audience }));
    } catch (error) {
      throw new InvalidTokenError(`Invalid token: ${(error as Error).message}`);
    }
    const identity = identityFromClaims(payload as Record<string, unknown>);
    if (!identity) throw new InvalidTokenError("Invalid token: no subject");
    return identity;
  }
}
