import { describe, expect, it } from "vitest";
import { AnalysisFailedError } from "../../shared/domain/errors.js";
import { normalizeSuggestions, plainText, slugify, truncate } from "../../shared/domain/suggestions.js";
import { COFFEE_SUGGESTIONS } from "../helpers/fake-providers.js";

const ten = (prefix = "Room") => Array.from({ length: 10 }, (_, i) => ({ name: `${prefix} Number ${i + 1}`, description: `Description ${i + 1}` }));

describe("slugify", () => {
  it("makes URL-safe keys", () => {
    expect(slugify("Curious Cat")).toBe("curious-cat");
    expect(slugify("  Café Crème & Co!! ")).toBe("cafe-creme-and-co");
    expect(slugify("☕☕☕")).toBe("");
    expect(slugify("a".repeat(80))).toHaveLength(50);
  });
});

describe("truncate", () => {
  it("cuts at a word boundary when one is near", () => {
    expect(truncate("The Quick Brown Fox Jumps Over", 20)).toBe("The Quick Brown Fox");
    expect(truncate("short", 20)).toBe("short");
    expect(truncate("Supercalifragilisticexpialidocious", 10)).toBe("Supercalif");
  });
});

describe("normaliseSuggestions", () => {
  it("keeps exactly 10, re-derives keys and trims whitespace", () => {
    const raw = { suggestions: [...ten(), { name: "Eleventh Room", description: "x" }].map((s) => ({ ...s, name: `  ${s.name}\n`, key: "WRONG KEY" })) };
    const result = normalizeSuggestions(raw);
    expect(result).toHaveLength(10);
    expect(result[0]).toEqual({ name: "Room Number 1", key: "room-number-1", description: "Description 1" });
  });

  it("drops duplicates by key and anything with a URL, then requires 10", () => {
    const withBad = [...ten(), { name: "room number 1", description: "duplicate key" }];
    withBad[2] = { name: "Visit evil.com Now", description: "x" };
    withBad[3] = { name: "Fine Name", description: "see https://spam.example/x" };
    expect(() => normalizeSuggestions({ suggestions: withBad })).toThrow(AnalysisFailedError);
    const enough = normalizeSuggestions({ suggestions: [...withBad, ...ten("Extra")] });
    expect(enough.map((s) => s.key)).not.toContain("visit-evil-com-now");
    expect(new Set(enough.map((s) => s.key)).size).toBe(10);
  });

  it("caps lengths and strips control characters", () => {
    const long = ten().map((s, i) => (i === 0 ? { name: `Extremely Long Chat Room Name That Keeps Going\u0007 ${i}`, description: "d ".repeat(100) } : s));
    const [first] = normalizeSuggestions({ suggestions: long });
    expect(first!.name.length).toBeLessThanOrEqual(40);
    expect(first!.name).not.toContain("\u0007");
    expect(first!.description.length).toBeLessThanOrEqual(90);
  });

  it("gives names in any script an ASCII key (transliterated), and drops blocked words for every provider", () => {
    const japanese = [
      "コーヒー愛好家",
      "ラテアート部",
      "朝のコーヒー",
      "豆の話",
      "カフェ巡り",
      "エスプレッソ研究会",
      "ハンドドリップ倶楽部",
      "焙煎ラボ",
      "喫茶店めぐり",
      "コーヒー日記",
    ];
    const result = normalizeSuggestions({ suggestions: japanese.map((name) => ({ name, description: "コーヒー好きのための部屋" })) });
    expect(result.map((s) => s.name)).toEqual(japanese);
    expect(result[0]!.key).toBe("kohiaihaojia");
    for (const suggestion of result) expect(suggestion.key).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(
      normalizeSuggestions({ suggestions: ["Кофеманы", ...COFFEE_SUGGESTIONS.map((s) => s.name)].map((name) => ({ name, description: "d" })) })[0]!.key,
    ).toBe("kofemany");
    const blocked = [{ name: "Dead Sea Scrolls", description: "Old texts" }, ...COFFEE_SUGGESTIONS];
    expect(normalizeSuggestions({ suggestions: blocked }).map((s) => s.name)).not.toContain("Dead Sea Scrolls");
  });

  it("stores plain text: markup characters and URL schemes are removed from names and descriptions", () => {
    const hostile = [
      { name: "<img src=x onerror=alert(1)>", description: "<script>alert(document.cookie)</script> for cat people" },
      { name: "javascript:alert(1)", description: "JaVaScRiPt :void(0) and data:text/html;base64,PHNjcmlwdD4=" },
      { name: "javajavascript:script:Club", description: "vbscript:msgbox and file:///etc/passwd" },
      { name: "\uFF1Cb\uFF1EBold Room\uFE64/b\uFE65", description: "mailto:x and tel:123 and blob:null" },
      ...COFFEE_SUGGESTIONS.slice(0, 6),
    ];
    const result = normalizeSuggestions({ suggestions: hostile });
    expect(result).toHaveLength(10);
    for (const { name, description, key } of result) {
      for (const text of [name, description]) {
        expect(text).not.toMatch(/[<>\uFF1C\uFF1E\uFE64\uFE65]/);
        expect(text).not.toMatch(/(?:javascript|vbscript)\s*:|\b(?:data|file|mailto|tel|blob|https?):\S/i);
      }
      expect(key).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
    expect(result.slice(0, 4).map((s) => s.name)).toEqual(["img src=x onerror=alert(1)", "alert(1)", "java script:Club", "b Bold Room /b"]);
    expect(result[0]!.description).toBe("script alert(document.cookie) /script for cat people");
    // Ordinary punctuation and other scripts are untouched.
    expect(plainText("Rock & Roll: Côte d'Ivoire «Café» 😺 コーヒー")).toBe("Rock & Roll: Côte d'Ivoire «Café» 😺 コーヒー");
    expect(plainText("Time: 10:30, ratio 1:2, Big Data: Analytics, Tel: ask")).toBe("Time: 10:30, ratio 1:2, Big Data: Analytics, Tel: ask");
  });

  it("rejects replies of the wrong shape", () => {
    expect(() => normalizeSuggestions({ rooms: [] })).toThrow(/unexpected format/);
    expect(() => normalizeSuggestions(null)).toThrow(AnalysisFailedError);
  });
});
