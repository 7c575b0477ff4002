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
      ? rawGroups
          .replace(/^\[|\]$/g, "")
          .split(/[\s,]+/)
          .filter(Boolean)
      : [];
  return { userId: claims.sub, username: typeof name === "string" && name ? name : claims.sub, groups };
}

/**
 * Which tokens of the issuer are for this API. An issuer alone is not enough: every app of the same
 * identity provider (another Cognito app client of the pool, its access tokens) would sign in.
 * - `audience`: the `aud` claim must name this API (any OIDC provider);
 * - `clientId`: a Cognito app client: its ID tokens (`token_use` "id", `aud` the client) or its
 *   access tokens (`token_use` "access", `client_id` the client); `tokenUse` narrows it to one kind.
 */
export interface TokenAudience {
  audience?: string;
  clientId?: string;
  tokenUse?: "id" | "access";
}

/** The issuer's tokens, for this API only: refuses to exist without an audience or a client id. */
export function requireAudience(issuer: string, audience: TokenAudience): TokenAudience {
  if (!audience.audience && !audience.clientId) {
    throw new Error(
      `Signed-in users from ${issuer} need an audience: set PHOTO_ANALYSIS_JWT_AUDIENCE (the tokens' aud) or PHOTO_ANALYSIS_JWT_CLIENT_ID (a Cognito app client id; its ID and access tokens are told apart by token_use). Without one, any token of that issuer would sign in, another app's included.`,
    );
  }
  if (audience.tokenUse && audience.tokenUse !== "id" && audience.tokenUse !== "access")
    throw new Error(`PHOTO_ANALYSIS_JWT_TOKEN_USE must be id or access, got ${audience.tokenUse}`);
  return audience;
}

/** A Cognito token's client: ID tokens name it in `aud`, access tokens in `client_id`; `token_use` says which. */
function cognitoClientProblem(payload: JWTPayload, audience: TokenAudience): string | null {
  const tokenUse = payload.token_use;
  if (tokenUse !== "id" && tokenUse !== "access") return "token_use is neither id nor access";
  if (audience.tokenUse && tokenUse !== audience.tokenUse) return `a ${tokenUse} token where ${audience.tokenUse} tokens are expected`;
  const client = tokenUse === "id" ? payload.aud : payload.client_id;
  return (Array.isArray(client) ? client.includes(audience.clientId!) : client === audience.clientId) ? null : "issued to another client";
}

/**
 * Verifies JWTs against an issuer's published keys (JWKS, fetched and cached by `jose`):
 * signature, issuer, expiry, not-before, and that the token is for this API (TokenAudience).
 */
export class JwksTokenVerifier implements TokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly audience: TokenAudience;

  constructor(private readonly options: { issuer: string; jwksUrl?: string } & TokenAudience) {
    this.audience = requireAudience(options.issuer, options);
    const jwksUrl = options.jwksUrl ?? `${options.issuer.replace(/\/+$/, "")}/.well-known/jwks.json`;
    this.keys = createRemoteJWKSet(new URL(jwksUrl));
  }

  async verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.options.issuer, audience: this.audience.audience }));
    } catch (error) {
      throw new InvalidTokenError(`Invalid token: ${(error as Error).message}`);
    }
    const problem = this.audience.clientId ? cognitoClientProblem(payload, this.audience) : null;
    if (problem) throw new InvalidTokenError(`Invalid token: ${problem}`);
    const identity = identityFromClaims(payload as Record<string, unknown>);
    if (!identity) throw new InvalidTokenError("Invalid token: no subject");
    return identity;
  }
}
