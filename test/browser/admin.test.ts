import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, haveChromium, launchChromium } from "../helpers/chromium.js";
import { startScratchService } from "../helpers/local-service.js";
import type { LocalService } from "../../local/service.js";
import { COFFEE_SUGGESTIONS, FakeOpenAI } from "../helpers/fake-providers.js";

/**
 * The admin in a real browser: Debian's Chromium driven by playwright-core against `npm start`'s
 * service. `.ci/run` installs Chromium; on a machine without it these tests are skipped with a note.
 */
const SCREENSHOTS = "test-output/screenshots";
const ADMIN_TOKEN = "admin-secret-for-tests";
const HOSTILE = [{ name: "<script>alert('pwned')</script>", description: "<img src=x onerror=alert(document.cookie)>" }, ...COFFEE_SUGGESTIONS.slice(0, 9)];
const HOSTILE_FINGERPRINT = "<img src=x onerror=alert('fp')><script>alert('fp')</script>";

// Minimal shapes of the browser objects the page callbacks touch (the DOM lib is not in this Node project's types).
interface ImageLike {
  complete: boolean;
  naturalWidth: number;
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
type BrowserGlobal = { document: { scrollingElement: { scrollWidth: number } } };
if (!haveChromium) console.warn(`admin browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!haveChromium)("admin web page in headless Chromium", () => {
  let service: LocalService;
  let fake: FakeOpenAI;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  let hostileId = "";
  let contextId = "";

  beforeAll(async () => {
    fake = await new FakeOpenAI().start();
    service = await startScratchService({
      env: { OPENAI_API_KEY: "sk-browser", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_ADMIN_TOKEN: ADMIN_TOKEN },
    });
    const upload = async (file: string, fingerprint: string, context?: string) => {
      const form = new FormData();
      form.append("image", new Blob([await readFile(file)]), "photo.jpg");
      form.append("fingerprint", fingerprint);
      if (context) form.append("context", context);
      return (await (await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form })).json()) as { analysis: { id: string } };
    };
    contextId = (await upload("fixtures/photos/coffee-mug.jpg", "browser-fp-1", "names for our office book swap")).analysis.id;
    // Suggestive (over the flag threshold, under the block one): analysed and flagged by OpenAI's moderation.
    fake.moderationScores = { sexual: 0.6 };
    await upload("fixtures/photos/motorcycle.png", "browser-fp-2");
    fake.moderationScores = {};
    fake.behaviors = [{ kind: "suggestions", suggestions: HOSTILE }];
    // Suggestions lose their markup before storage; a caller's own fingerprint reaches the admin as it was sent.
    hostileId = (await upload("fixtures/photos/labrador.webp", HOSTILE_FINGERPRINT)).analysis.id;
    fake.behaviors = [{ kind: "suggestions" }];
    await upload("fixtures/photos/labrador.webp", HOSTILE_FINGERPRINT); // a cache hit, for the dashboard

    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await fake?.close();
  });

  it("refuses a wrong token, and the page carries a strict CSP", async () => {
    const response = await page.goto(`${service.url}/admin/`);
    expect(response!.headers()["content-security-policy"]).toMatch(/script-src 'self'/);
    expect(response!.headers()["content-security-policy"]).not.toMatch(/unsafe-inline/);
    await page.fill("#token", "not-the-token");
    await page.press("#token", "Enter");
    // A wrong token says so (it used to say "Please sign in again.", as for an ended session).
    await expect
      .poll(() => page.textContent("#login-error"))
      .toBe("That token was not accepted: use the server's PHOTO_ANALYSIS_ADMIN_TOKEN, or a signed-in admin's token.");
    expect(await page.isVisible("#analyses")).toBe(false);
  });

  it("signs in and lists the analyses with the seed's columns", async () => {
    await page.fill("#token", ADMIN_TOKEN);
    await page.click("#login-form button");
    await page.waitForSelector("#rows tr");
    expect(await page.locator("#rows tr").count()).toBe(3);
    const headers = await page.locator("#analyses th").allTextContents();
    expect(headers).toEqual(["ID", "Created", "Model", "Suggestions", "Used", "User", "Storage", "Expiry", "Image"]);
    const firstRow = await page.locator("#rows tr").first().locator("td").allTextContents();
    expect(firstRow[2]).toBe("gpt-4o-2024-08-06");
    expect(firstRow[3]).toBe("10");
    // The newest upload's fingerprint, shortened, as text (it is hostile markup).
    expect(firstRow[5]).toBe(`anonymous · ${HOSTILE_FINGERPRINT.slice(0, 12)}`);
    expect(firstRow[7]).toBe("active");
    // Each row shows the photo's thumbnail, loaded through the image proxy.
    const thumbnails = page.locator("#rows img.thumb");
    expect(await thumbnails.count()).toBe(3);
    await expect
      .poll(() => thumbnails.evaluateAll((images) => (images as unknown as ImageLike[]).every((image) => image.complete && image.naturalWidth > 0)))
      .toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, "admin-list.png"), fullPage: true });
  });

  it("filters and searches", async () => {
    await page.fill("#f-q", "browser-fp-2");
    await page.press("#f-q", "Enter");
    await expect.poll(() => page.locator("#rows tr").count()).toBe(1);
    await page.fill("#f-q", "");
    await page.selectOption("#f-signed_in", "true");
    await page.click("#filters button");
    await expect.poll(() => page.textContent("#list-status")).toBe("No analyses match.");
    await page.selectOption("#f-signed_in", "");
    await page.click("#filters button");
    await expect.poll(() => page.locator("#rows tr").count()).toBe(3);
  });

  it("opens a detail with the image preview, suggestions, usage and collapsible raw JSON", async () => {
    await page.locator("#rows tr").last().locator("a").first().click();
    await page.waitForSelector("#suggestions li");
    const preview = page.locator("#preview-image");
    await expect.poll(() => preview.evaluate((img) => (img as unknown as ImageLike).complete && (img as unknown as ImageLike).naturalWidth > 0)).toBe(true);
    const box = await preview.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(400);
    expect(box!.height).toBeLessThanOrEqual(300);
    expect(await page.locator("#suggestions li").count()).toBe(10);
    expect(await page.isVisible("#raw pre")).toBe(false);
    await page.click("#raw summary");
    expect(await page.isVisible("#raw pre")).toBe(true);
    expect(await page.textContent("#raw pre")).toContain('"object": "chat.completion"');
    // Facts and usage render as text, and nothing pushes the page wider than the window.
    const text = await page.textContent("main");
    expect(text).not.toContain("[object");
    expect(text).toMatch(/total\s*533/);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobal).document.scrollingElement.scrollWidth)).toBeLessThanOrEqual(1366);
    await page.screenshot({ path: join(SCREENSHOTS, "admin-detail.png"), fullPage: true });
  });

  it("renders hostile text as text: no script runs, no element is injected (suggestions arrive without their markup)", async () => {
    // Only the hash changes: the previous detail stays on screen until this one has rendered.
    await page.goto(`${service.url}/admin/#/detail/${hostileId}`);
    await expect.poll(() => page.textContent("main")).toContain(hostileId);
    const first = await page.locator("#suggestions li").first().textContent();
    expect(first).toContain("script alert('pwned') /script");
    expect(first).toContain("img src=x onerror=alert(document.cookie)");
    expect(first).not.toMatch(/[<>]/);
    // The caller's fingerprint is shown exactly as sent, as text.
    expect(await page.textContent("main")).toContain(HOSTILE_FINGERPRINT);
    expect(await page.locator("main script, main img:not(#preview-image)").count()).toBe(0);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  });

  it("shows the room (context) and language in the detail, and fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${service.url}/admin/#/list`);
      await page.waitForSelector("#rows tr");
      expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobal).document.scrollingElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.goto(`${service.url}/admin/#/detail/${contextId}`);
      await expect.poll(() => page.textContent("main")).toContain(contextId);
      const facts = await page.locator("dl dt, dl dd").allTextContents();
      expect(facts.join("|")).toContain("Room (context)|names for our office book swap");
      expect(facts.join("|")).toContain("Language|en");
      expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobal).document.scrollingElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SCREENSHOTS, "admin-detail-phone.png"), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1366, height: 900 });
    }
  });

  it("draws the dashboard charts", async () => {
    await page.click("#nav-dashboard");
    await page.waitForSelector("#charts canvas");
    expect(await page.locator("#charts canvas").count()).toBe(4);
    // Each chart painted something: the canvas is not blank.
    const painted = await page.locator("#charts canvas").evaluateAll((elements) =>
      (elements as unknown as CanvasLike[]).map((canvas) => {
        const context = canvas.getContext("2d");
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        let ink = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) ink++;
        return ink;
      }),
    );
    expect(painted.every((ink) => ink > 500)).toBe(true);
    const totals = await page.textContent("#totals");
    expect(totals).toMatch(/4\s*Uploads/);
    expect(totals).toMatch(/3\s*Analyses/);
    expect(totals).toMatch(/1\s*Cache hits/);
    await page.screenshot({ path: join(SCREENSHOTS, "admin-dashboard.png"), fullPage: true });
  });

  it("filters the analyses moderation flagged and shows moderation's labels in the detail", async () => {
    await page.click("#nav-list");
    await page.waitForSelector("#f-flagged");
    await page.selectOption("#f-flagged", "true");
    await page.click("#filters button");
    await expect.poll(() => page.locator("#rows tr").count()).toBe(1);
    await page.locator("#rows tr").first().locator("a").first().click();
    await page.waitForSelector("#moderation");
    expect(await page.textContent("#moderation")).toMatch(/Moderation: flag \(openai\).*sexual \(60%\)/);
    await page.screenshot({ path: join(SCREENSHOTS, "admin-flagged.png"), fullPage: true });
  });
});
