/**
 * The try page: photos dropped or picked go to the API as batches through the first-party client,
 * each photo's stages arrive live over the events WebSocket, and its ten names are shown with a
 * button to copy each. Every value from the API or the user is put into the page as text.
 */
import { type Analysis, jobError, PhotoAnalysisClient, type ProgressUpdate, type Stage, type Style } from "../../../client/index.js";

const MAX_BATCH = 10;
const STAGES: Stage[] = ["queued", "decoding", "matching", "analysing", "storing", "done"];
const STAGE_WORDS: Record<Stage, string> = {
  queued: "queued",
  decoding: "reading the photo",
  matching: "looking for a match",
  analysing: "analysing",
  storing: "storing",
  done: "done",
  failed: "failed",
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { className?: string; text?: string } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  node.append(...children);
  return node;
}

function byId<T extends HTMLElement>(id: string, kind: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`missing #${id}`);
  return node;
}

/** An anonymous fingerprint kept by this browser, so its recent analyses and allowance are its own. */
function fingerprint(): string {
  const key = "photo-analysis-try-fingerprint";
  let value = localStorage.getItem(key);
  if (!value) {
    value = `try-${crypto.randomUUID()}`;
    localStorage.setItem(key, value);
  }
  return value;
}

const client = new PhotoAnalysisClient({ fingerprint: fingerprint() });
const drop = byId("drop", HTMLDivElement);
const picker = byId("files", HTMLInputElement);
const results = byId("results", HTMLElement);
const status = byId("status", HTMLParagraphElement);
const style = byId("style", HTMLSelectElement);
const language = byId("language", HTMLInputElement);
const context = byId("context", HTMLInputElement);

/** One photo's card: its thumbnail, stages, then its names or its error. */
class PhotoCard {
  readonly root: HTMLElement;
  private readonly stages: HTMLParagraphElement;
  private readonly bar: HTMLProgressElement;
  private readonly body: HTMLDivElement;
  private readonly seen: string[] = [];

  constructor(file: File) {
    const thumbnail = element("img");
    thumbnail.alt = "";
    thumbnail.src = URL.createObjectURL(file);
    thumbnail.addEventListener("error", () => (thumbnail.hidden = true));
    this.stages = element("p", { className: "stages", text: "sending…" });
    this.bar = element("progress");
    this.bar.max = STAGES.length - 1;
    this.bar.value = 0;
    this.body = element("div");
    this.root = element(
      "article",
      { className: "card photo" },
      thumbnail,
      element("div", {}, element("h2", { text: file.name || "photo" }), this.stages, this.bar, this.body),
    );
    this.root.dataset.stage = "sending";
  }

  progress(update: ProgressUpdate): void {
    this.seen.push(STAGE_WORDS[update.stage]);
    this.stages.textContent = this.seen.join(" → ");
    this.root.dataset.stage = update.stage;
    this.bar.value = update.stage === "failed" ? this.bar.max : Math.max(0, STAGES.indexOf(update.stage));
    if (update.stage === "done" && update.analysis) this.names(update.analysis, update.cached === true);
    if (update.stage === "failed") this.fail(jobError(update)?.message ?? "The analysis failed.");
  }

  fail(message: string): void {
    this.root.dataset.stage = "failed";
    this.bar.remove();
    this.body.replaceChildren(element("p", { className: "error", text: message }));
  }

  private names(analysis: Analysis, cached: boolean): void {
    this.bar.remove();
    const list = element("ol", { className: "names" });
    for (const suggestion of analysis.suggestions) {
      const copy = element("button", { className: "copy", text: "Copy" });
      copy.type = "button";
      copy.setAttribute("aria-label", `Copy ${suggestion.name}`);
      copy.addEventListener("click", () => copyName(suggestion.name, copy));
      const row = element("div", { className: "name-row" }, element("span", { className: "name", text: suggestion.name }), copy);
      list.append(element("li", {}, row, element("span", { className: "tagline", text: suggestion.description })));
    }
    this.body.replaceChildren(...(cached ? [element("span", { className: "badge", text: "seen before: from the cache" })] : []), list);
  }
}

async function copyName(name: string, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(name);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Select and copy";
  }
  setTimeout(() => (button.textContent = "Copy"), 1500);
}

const STYLE_VALUES: Style[] = ["playful", "professional", "short", "cozy"];
function options(): { style?: Style; context?: string; language?: string } {
  const chosen = STYLE_VALUES.find((value) => value === style.value);
  return { style: chosen, context: context.value.trim() || undefined, language: language.value.trim() || undefined };
}

async function analyze(files: File[]): Promise<void> {
  if (!files.length) return;
  for (let start = 0; start < files.length; start += MAX_BATCH) {
    const chunk = files.slice(start, start + MAX_BATCH);
    const cards = chunk.map((file) => new PhotoCard(file));
    results.prepend(...cards.map((card) => card.root));
    status.textContent = `Sending ${chunk.length} photo${chunk.length === 1 ? "" : "s"}…`;
    try {
      await client.batch(chunk, { ...options(), onProgress: (update) => cards[update.index]?.progress(update) });
      status.textContent = "";
    } catch (error) {
      // The whole batch was refused (no photos, too many, a bad field, or the service is down).
      const message = error instanceof Error ? error.message : String(error);
      for (const card of cards) card.fail(message);
      status.textContent = message;
    }
  }
}

picker.addEventListener("change", () => {
  void analyze([...(picker.files ?? [])]);
  picker.value = "";
});
drop.addEventListener("click", () => picker.click());
drop.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    picker.click();
  }
});
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  void analyze([...(event.dataTransfer?.files ?? [])]);
});
