import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { loadContentFilterRules } from "../../server/content-filter/load-rules.ts";
import { ContentFilter, contentFilterRulesSchema } from "../../shared/content-filter/index.ts";

const rules = (partial: Partial<Record<"words" | "patterns" | "blocked_domains", string[]>>) => contentFilterRulesSchema.parse(partial);

describe("content filter", () => {
  const filter = new ContentFilter(
    rules({ words: ["darn", "Heck"], patterns: ["b[a@]d\\s*word"], blocked_domains: ["spam.example", "evil.xyz"] }),
  );

  it("masks whole filtered words in any case with as many asterisks, and leaves words that merely contain them", () => {
    expect(filter.judge("Darn it, HECK, what the heck", "mask")).toEqual({ ok: true, text: "**** it, ****, what the ****", masked: true });
    expect(filter.judge("darned darnit heckle", "mask")).toEqual({ ok: true, text: "darned darnit heckle", masked: false });
  });

  it("masks pattern matches, counting characters rather than UTF-16 units", () => {
    expect(filter.mask("such a b@d  word")).toBe("such a *********");
    const emoji = new ContentFilter(rules({ patterns: ["💩+"] }));
    expect(emoji.mask("you 💩💩")).toBe("you **");
  });

  it("refuses instead of masking in a refusing room", () => {
    expect(filter.judge("oh darn", "refuse")).toMatchObject({ ok: false, code: "content_blocked" });
    expect(filter.judge("oh dear", "refuse")).toEqual({ ok: true, text: "oh dear", masked: false });
  });

  it("refuses links to a blocked domain and its subdomains, with or without a scheme, in every mode", () => {
    for (const text of ["see https://spam.example/x", "go to www.spam.example now", "buy at shop.SPAM.example", "evil.xyz/promo"]) {
      expect(filter.judge(text, "mask")).toMatchObject({ ok: false, code: "link_blocked" });
    }
    expect(filter.judge("https://notspam.example.org and nospam.example", "mask")).toMatchObject({ ok: true });
  });

  it("lets text a client wrote itself through only when nothing filtered is left in it", () => {
    expect(filter.judgeWritten("oh ****", "mask")).toMatchObject({ ok: true });
    expect(filter.judgeWritten("oh darn", "mask")).toMatchObject({ ok: false, code: "content_blocked" });
  });

  it("is inactive with no rules, and refuses a bad rule at load", () => {
    expect(new ContentFilter(rules({})).active).toBe(false);
    expect(contentFilterRulesSchema.safeParse({ patterns: ["(unclosed"] }).success).toBe(false);
    expect(contentFilterRulesSchema.safeParse({ blocked_domains: ["not a domain"] }).success).toBe(false);
  });
});

describe("the server's filter rules from its configuration", () => {
  it("joins CONTENT_FILTER_FILE with the comma lists, and refuses a file whose rule does not parse", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "filter-"));
    try {
      const file = path.join(dir, "rules.json");
      fs.writeFileSync(
        file,
        JSON.stringify({ words: ["darn"], patterns: ["fr[e3]e\\s+protein"], blocked_domains: ["spam.example"], default_mode: "refuse" }),
      );
      const rules = loadContentFilterRules(
        loadConfig({ CONTENT_FILTER_FILE: file, CONTENT_FILTER_WORDS: "heck", BLOCKED_LINK_DOMAINS: "scam.example" }),
      );
      expect(rules).toMatchObject({ words: ["darn", "heck"], blocked_domains: ["spam.example", "scam.example"], default_mode: "refuse" });
      expect(new ContentFilter(rules).judge("Fr3e protein here", "mask")).toMatchObject({ ok: true, text: "************ here" });
      fs.writeFileSync(file, JSON.stringify({ patterns: ["(unclosed"] }));
      expect(() => loadContentFilterRules(loadConfig({ CONTENT_FILTER_FILE: file }))).toThrow(/Invalid content filter: patterns/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
