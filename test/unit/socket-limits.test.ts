import { describe, expect, it } from "vitest";
import { CapReachedError } from "../../shared/domain/errors.js";
import type { Caller } from "../../shared/domain/types.js";
import { submitJobs } from "../../shared/usecases/jobs.js";
import { closeConnection, openConnection, subscribe } from "../../shared/usecases/progress.js";
import { CONNECTION_LIFETIME_SECONDS } from "../../shared/usecases/socket-limits.js";
import { createEventsMessageHandler } from "../../functions/events-message/handler.js";
import { memoryDeps } from "../doubles/memory.js";
import { distinctImages } from "../helpers/photos.js";

const caller = (fingerprint: string, ip = "203.0.113.5"): Caller => ({ userId: null, username: null, fingerprint, ipAddress: ip });

describe("WebSocket connection caps", () => {
  it("refuses connections past the address's cap and past the caller's, and takes them again once some close", async () => {
    const { deps } = memoryDeps({ settings: { PHOTO_ANALYSIS_EVENTS_MAX_CONNECTIONS_PER_IP: "3", PHOTO_ANALYSIS_EVENTS_MAX_CONNECTIONS_PER_CALLER: "2" } });
    await openConnection(deps, "a1", caller("fp-a"));
    await openConnection(deps, "a2", caller("fp-a"));
    const perCaller = await openConnection(deps, "a3", caller("fp-a")).catch((error: unknown) => error);
    expect(perCaller).toBeInstanceOf(CapReachedError);
    expect((perCaller as CapReachedError).message).toMatch(/At most 2 .* per caller/);
    await openConnection(deps, "b1", caller("fp-b"));
    const perAddress = await openConnection(deps, "c1", caller("fp-c")).catch((error: unknown) => error);
    expect((perAddress as CapReachedError).message).toMatch(/At most 3 .* from one address/);
    // Another address is another count; a refused connection holds nothing.
    await openConnection(deps, "d1", caller("fp-d", "198.51.100.1"));
    await closeConnection(deps, "a1");
    await closeConnection(deps, "a1"); // a repeated $disconnect gives back once
    await openConnection(deps, "c2", caller("fp-c"));
    await expect(openConnection(deps, "c3", caller("fp-c"))).rejects.toBeInstanceOf(CapReachedError);
  });

  it("stops counting a connection whose $disconnect never came within two lifetimes", async () => {
    const { deps, clock } = memoryDeps({ settings: { PHOTO_ANALYSIS_EVENTS_MAX_CONNECTIONS_PER_IP: "1" } });
    await openConnection(deps, "lost", caller("fp-lost"));
    await expect(openConnection(deps, "next", caller("fp-next"))).rejects.toBeInstanceOf(CapReachedError);
    clock.advance(CONNECTION_LIFETIME_SECONDS * 1000);
    await expect(openConnection(deps, "next", caller("fp-next"))).rejects.toBeInstanceOf(CapReachedError);
    clock.advance(CONNECTION_LIFETIME_SECONDS * 1000);
    await openConnection(deps, "next", caller("fp-next"));
  });

  it("caps the topics one connection subscribes to (the same topic again is free)", async () => {
    const { deps, gateway } = memoryDeps({ settings: { PHOTO_ANALYSIS_EVENTS_MAX_SUBSCRIPTIONS: "2" } });
    const owner = caller("fp-subs");
    const photos = await distinctImages(3);
    const { jobs } = await submitJobs(deps, { caller: owner, photos: photos.map((bytes) => ({ bytes })), batch: false });
    await openConnection(deps, "s1", owner);
    for (const job of [jobs[0]!, jobs[1]!, jobs[0]!, jobs[2]!]) await subscribe(deps, "s1", { jobId: job.id });
    const sent = gateway.sent.get("s1") as { type: string; job_id?: string; error?: string }[];
    expect(sent.map((message) => message.type)).toEqual(["progress", "progress", "progress", "error"]);
    expect(sent.at(-1)!.error).toBe("Too many subscriptions: at most 2 on one connection (a batch is one).");
  });

  it("closes a connection that sends past its message rate (1008), telling it why first", async () => {
    const { deps, gateway } = memoryDeps({ settings: { PHOTO_ANALYSIS_EVENTS_MAX_MESSAGES_PER_SECOND: "3" } });
    await openConnection(deps, "m1", caller("fp-rate"));
    const handle = createEventsMessageHandler(() => deps);
    for (let index = 0; index < 4; index++) await handle({ requestContext: { connectionId: "m1", routeKey: "$default" }, body: "hello" });
    const errors = (gateway.sent.get("m1") as { error: string }[]).map((message) => message.error);
    expect(errors.slice(0, 3).every((error) => error.startsWith("Unknown message"))).toBe(true);
    expect(errors[3]).toBe("Too many messages: at most 3 per second. Closing this connection.");
    expect(gateway.closed.get("m1")).toEqual({ code: 1008, reason: "Too many messages" });
  });
});
