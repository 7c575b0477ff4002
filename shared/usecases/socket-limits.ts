import { randomUUID } from "node:crypto";
import { CapReachedError } from "../domain/errors.js";
import { ConcurrencyLimiter } from "../ratelimit/concurrency.js";
import { type CounterStore, SlidingWindowRateLimiter } from "../ratelimit/rate-limiter.js";
import type { Caller } from "../domain/types.js";
import type { OpenConnection } from "../stores/ports.js";
import type { AppDeps } from "./deps.js";
import { ownerKey } from "../domain/types.js";

/**
 * The progress WebSocket's caps, the same in AWS and under `npm start` (both run these through the
 * WebSocket handlers): connections open at once per IP address and per caller, jobs and batches
 * subscribed per connection, messages per second per connection. Counted on the rate limiter's counter
 * items in the table (see ConcurrencyLimiter and SlidingWindowRateLimiter), under `RATE#`:
 *   ws-ip:<address>         connections open from an address (2-hour windows)
 *   ws-caller:<owner>       connections open by a caller (user:…, fp:… or ip:…)
 *   ws-subs:<connection>    topics a connection subscribed to (each topic once)
 *   ws-msgs:<connection>    messages a connection sent (1-second windows)
 */

/** API Gateway ends a WebSocket connection after 2 hours (the local server does the same). */
export const CONNECTION_LIFETIME_SECONDS = 2 * 3600;

/** The close code of a connection that broke a cap (RFC 6455: policy violation). */
export const POLICY_VIOLATION = 1008;

/** The caps' counters, on the same counter items as the rate limiter's (messages in one-second windows). */
export function socketLimitsOn(counters: CounterStore): AppDeps["socketLimits"] {
  return { connections: new ConcurrencyLimiter(counters, CONNECTION_LIFETIME_SECONDS), messages: new SlidingWindowRateLimiter(counters, 1) };
}

function limitsOf(deps: AppDeps) {
  return deps.socketLimits;
}

/** Counts a new connection against its address's and its caller's caps: a 429 past either (the handshake is refused). */
export async function admitConnection(deps: AppDeps, connectionId: string, caller: Caller): Promise<Pick<OpenConnection, "ip" | "countedIn">> {
  const settings = await deps.settings();
  const ip = caller.ipAddress;
  const rules = [
    ...(ip ? [{ key: `ws-ip:${ip}`, limit: settings.PHOTO_ANALYSIS_EVENTS_MAX_CONNECTIONS_PER_IP }] : []),
    { key: `ws-caller:${ownerKey(caller)}`, limit: settings.PHOTO_ANALYSIS_EVENTS_MAX_CONNECTIONS_PER_CALLER },
  ];
  const limiter = limitsOf(deps).connections;
  const now = deps.now();
  // A read-only look first: a crowd past the cap is refused without a single write.
  const room = await limiter.peek(rules, now);
  const decision = room.allowed ? await limiter.acquire(rules, now, connectionId) : room;
  if (!decision.allowed) {
    const fromAddress = decision.rule.key.startsWith("ws-ip:");
    throw new CapReachedError(
      "Too many connections",
      `At most ${decision.rule.limit} progress connections may be open at once ${fromAddress ? "from one address" : "per caller"}; close one, or subscribe to more jobs on one connection.`,
    );
  }
  return { ip, countedIn: decision.window };
}

/** Gives a closed connection's slots back. */
export async function releaseConnection(deps: AppDeps, connection: OpenConnection): Promise<void> {
  if (connection.countedIn === undefined) return; // opened before the caps existed
  const keys = [...(connection.ip ? [`ws-ip:${connection.ip}`] : []), `ws-caller:${connection.owner}`];
  await limitsOf(deps).connections.release(keys, connection.countedIn, connection.id);
}

/**
 * Whether a connection may send this message, counted at `receivedAt` (when the gateway received it,
 * not when its turn to be handled came); past the rate the caller ends the connection.
 */
export async function admitMessage(deps: AppDeps, connectionId: string, receivedAt = deps.now()): Promise<{ allowed: boolean; limit: number }> {
  const limit = (await deps.settings()).PHOTO_ANALYSIS_EVENTS_MAX_MESSAGES_PER_SECOND;
  const decision = await limitsOf(deps).messages.acquire([{ key: `ws-msgs:${connectionId}`, limit }], receivedAt, randomUUID());
  return { allowed: decision.allowed, limit };
}

/** Whether a connection may subscribe to one more topic (subscribing to the same one again is free). */
export async function admitSubscription(deps: AppDeps, connectionId: string, topic: string): Promise<{ allowed: boolean; limit: number }> {
  const limit = (await deps.settings()).PHOTO_ANALYSIS_EVENTS_MAX_SUBSCRIPTIONS;
  const decision = await limitsOf(deps).connections.acquire([{ key: `ws-subs:${connectionId}`, limit }], deps.now(), topic);
  return { allowed: decision.allowed, limit };
}
