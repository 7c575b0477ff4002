import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, haveChromium, launchChromium } from "../helpers/chromium.js";
import type { LocalService } from "../../local/service.js";
import { openApiDocument } from "../../shared/api/openapi.js";
import { COFFEE_SUGGESTIONS, FakeOpenAI } from "../helpers/fake-providers.js";
import { startScratchService } from "../helpers/local-service.js";
import { distinctImages } from "../helpers/photos.js";

/**
 * The try page (/), the API docs (/docs/) and the client module in Debian's Chromium, driven by
 * playwright-core against `npm start`'s service (as test/browser/admin.test.ts does). Skipped with a
 * note where Chromium is missing.
 */
const SCREENSHOTS = "test-output/screenshots";
if (!haveChromium) console.warn(`try page, docs and client browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

// Markup characters never reach the page (the service removes them before storage); entities do, and the
// page must show them as the text they are (a page writing HTML would turn them into a script tag).
const HOSTILE = [{ name: "<img src=x onerror=alert(1)>", description: "&lt;script&gt;alert('pwned')&lt;/script&gt;" }, ...COFFEE_SUGGESTIONS.slice(0, 9)];
type BrowserGlobal = { document: { scrollingElement: { scrollWidth: number } }; navigator: { clipboard: { readText(): Promise<string> } } };

describe.skipIf(!haveChromium)("web pages in headless Chromium", () => {
  let service: LocalService;
  let fake: FakeOpenAI;
  let browser: Browser;
  let context: BrowserContext;
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];
  const outside: string[] = [];

  const openPage = async (width: number): Promise<Page> => {
    const page = await context.newPage();
    await page.setViewportSize({ width, height: 844 });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    page.on("request", (request) => {
      if (!request.url().startsWith(service.url) && !/^(ws:\/\/127\.0\.0\.1|data:|blob:)/.test(request.url())) outside.push(request.url());
    });
    return page;
  };

  beforeAll(async () => {
    fake = await new FakeOpenAI().start();
    service = await startScratchService({ env: { OPENAI_API_KEY: "sk-browser", OPENAI_BASE_URL: fake.baseUrl } });
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await fake?.close();
  });

  describe("the try page at /", () => {
    let page: Page;
    const frames: string[] = [];

    beforeAll(async () => {
      page = await openPage(390); // a phone
      page.on("websocket", (socket) => socket.on("framereceived", (frame) => frames.push(String(frame.payload))));
    });

    it("is served with a strict CSP and links to the docs and the admin", async () => {
      const response = await page.goto(`${service.url}/`);
      const policy = response!.headers()["content-security-policy"]!;
      expect(policy).toMatch(/script-src 'self';/);
      expect(policy).not.toMatch(/unsafe/);
      expect(await page.getAttribute("nav a[href='/docs/']", "href")).toBe("/docs/");
      expect(await page.getAttribute("nav a[href='/admin/']", "href")).toBe("/admin/");
    });

    it("takes dropped photos, shows each one's progress live over the WebSocket and its 10 names with taglines, and an error for a file that is not a photo", async () => {
      fake.behaviors = [{ kind: "suggestions", delayMs: 300 }];
      const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
      // A real drop: a DataTransfer with two files, dispatched on the drop zone.
      const dataTransfer = await page.evaluateHandle(
        ([photo, text]) => {
          const Transfer = (globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } }).DataTransfer;
          const transfer = new Transfer();
          transfer.items.add(new File([new Uint8Array(photo)], "coffee-mug.jpg", { type: "image/jpeg" }));
          transfer.items.add(new File([text], "notes.txt", { type: "text/plain" }));
          return transfer;
        },
        [[...coffee], "these are my notes, not a photo"] as const,
      );
      await page.dispatchEvent("#drop", "drop", { dataTransfer });
      const photos = page.locator("article.photo");
      await expect.poll(() => photos.count()).toBe(2);
      const photo = photos.filter({ hasText: "coffee-mug.jpg" });
      const notes = photos.filter({ hasText: "notes.txt" });
      await expect.poll(() => photo.getAttribute("data-stage"), { timeout: 30_000 }).toBe("done");
      // The stages came live: the page showed at least one before "done", each from a progress message.
      const stages = (await photo.locator(".stages").textContent())!.split(" → ");
      expect(stages.at(-1)).toBe("done");
      expect(stages.length).toBeGreaterThan(1);
      expect(frames.some((frame) => frame.includes('"stage":"analysing"'))).toBe(true);
      expect(await photo.locator("ol.names li").count()).toBe(10);
      expect(await photo.locator("ol.names .name").allTextContents()).toEqual(COFFEE_SUGGESTIONS.map((suggestion) => suggestion.name));
      expect(await photo.locator("ol.names .tagline").first().textContent()).toBe(COFFEE_SUGGESTIONS[0]!.description);
      await expect.poll(() => notes.getAttribute("data-stage")).toBe("failed");
      expect(await notes.locator(".error").textContent()).toBe("Unsupported image format. Upload a JPEG, PNG, WebP, GIF, HEIC or AVIF image.");
      // Nothing overflows a phone's width.
      expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobal).document.scrollingElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SCREENSHOTS, "try-page-phone.png"), fullPage: true });
    });

    it("copies a name", async () => {
      const button = page.locator("article.photo", { hasText: "coffee-mug.jpg" }).locator("button.copy").nth(1);
      await button.click();
      await expect.poll(() => button.textContent()).toBe("Copied");
      expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobal).navigator.clipboard.readText())).toBe(COFFEE_SUGGESTIONS[1]!.name);
    });

    it("sends style, room and language with the photos, and puts hostile names on the page as text", async () => {
      fake.behaviors = [{ kind: "suggestions", suggestions: HOSTILE }];
      const [noise] = await distinctImages(1, 2603);
      await page.click("#options summary");
      await page.selectOption("#style", "playful");
      await page.fill("#context", "names for my hiking club");
      await page.fill("#language", "es");
      await page.setInputFiles("#files", { name: "noise.png", mimeType: "image/png", buffer: noise! });
      const photo = page.locator("article.photo", { hasText: "noise.png" });
      await expect.poll(() => photo.getAttribute("data-stage"), { timeout: 30_000 }).toBe("done");
      const sent = fake.requests.at(-1)!.body as { messages: { content: unknown }[] };
      const prompt = JSON.stringify(sent.messages);
      expect(prompt).toContain("names for my hiking club");
      expect(prompt).toMatch(/Spanish/);
      expect(await photo.locator("ol.names .name").first().textContent()).toBe("img src=x onerror=alert(1)");
      expect(await photo.locator("ol.names .tagline").first().textContent()).toBe("&lt;script&gt;alert('pwned')&lt;/script&gt;");
      expect(await photo.locator("ol.names img, ol.names script").count()).toBe(0);
      expect(dialogs).toEqual([]);
    });
  });

  describe("the API docs at /docs/", () => {
    it("render every operation of the served OpenAPI document, offline and under the strict CSP", async () => {
      const page = await openPage(1280);
      const response = await page.goto(`${service.url}/docs/`);
      expect(response!.headers()["content-security-policy"]).not.toMatch(/unsafe/);
      await page.waitForSelector(".opblock", { timeout: 30_000 });
      const operations = Object.values(openApiDocument().paths as Record<string, object>).flatMap((item) => Object.keys(item));
      await expect.poll(() => page.locator(".opblock").count()).toBe(operations.length);
      expect(await page.textContent(".info .title")).toContain("Photo Analysis");
      // Open one: its parameters and responses are drawn from the document.
      await page.locator(".opblock-summary", { hasText: "/api/photo-analysis/recent/" }).click();
      await page.waitForSelector(".opblock.is-open .parameters");
      expect(await page.textContent(".opblock.is-open .parameters")).toContain("limit");
      await page.screenshot({ path: join(SCREENSHOTS, "docs.png") });
    });
  });

  describe("the client module in the browser", () => {
    it("analyses, follows a batch over the browser's WebSocket and throws typed errors", async () => {
      const page = await openPage(1024);
      // A blank page of the service's own origin that loads the built client (client/dist/index.js).
      await page.route(`${service.url}/client-test/**`, async (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path.endsWith("client.js")) await route.fulfill({ contentType: "text/javascript", body: await readFile("client/dist/index.js", "utf8") });
        else
          await route.fulfill({
            contentType: "text/html",
            body: '<!doctype html><title>client</title><script type="module">import * as client from "/client-test/client.js"; window.photoAnalysisClient = client;</script>',
          });
      });
      await page.goto(`${service.url}/client-test/`);
      await page.waitForFunction(() => "photoAnalysisClient" in globalThis);
      fake.behaviors = [{ kind: "suggestions" }];
      const [one, two] = await distinctImages(2, 2604);
      const result = await page.evaluate(
        async ([first, second]) => {
          const { PhotoAnalysisClient, FieldError, DetailedError, jobError } = (
            globalThis as unknown as { photoAnalysisClient: typeof import("photo-analysis/client") }
          ).photoAnalysisClient;
          const client = new PhotoAnalysisClient({ fingerprint: "browser-client" });
          const png = (bytes: readonly number[], name: string) => new File([new Uint8Array(bytes)], name, { type: "image/png" });
          const created = await client.analyze(png(first, "one.png"));
          const read = await client.get(created.analysis.id);
          const stages: string[] = [];
          const batch = await client.batch([png(second, "two.png"), new File(["not a photo, only words"], "words.txt")], {
            onProgress: (update: { index: number; stage: string }) => stages.push(`${update.index}:${update.stage}`),
          });
          const failure = jobError(batch.items[1]!);
          const missing = await client.get("00000000-0000-4000-8000-000000000000").catch((error: unknown) => error);
          return {
            created: created.cached,
            sameSuggestions: JSON.stringify(read.suggestions) === JSON.stringify(created.analysis.suggestions),
            statuses: batch.items.map((item: { status: string }) => item.status),
            stages,
            failureIsFieldError: failure instanceof FieldError,
            failureMessage: failure?.message,
            missingIsDetailed: missing instanceof DetailedError,
            missingStatus: (missing as { status?: number }).status,
            recent: (await client.recent()).length,
          };
        },
        [[...one!], [...two!]] as const,
      );
      expect(result).toMatchObject({
        created: false,
        sameSuggestions: true,
        statuses: ["done", "failed"],
        failureIsFieldError: true,
        failureMessage: "Unsupported image format. Upload a JPEG, PNG, WebP, GIF, HEIC or AVIF image.",
        missingIsDetailed: true,
        missingStatus: 404,
        recent: 2,
      });
      expect(result.stages).toContain("0:done");
      expect(result.stages).toContain("1:failed");
      expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
      expect(outside).toEqual([]);
    });
  });
});
