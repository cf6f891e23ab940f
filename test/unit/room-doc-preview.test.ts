import { describe, expect, it } from "vitest";
import { type Attachment, labelWithoutText } from "../../shared/room-doc/index.ts";

const image = (n: number): Attachment => ({
  id: `i${n}`,
  kind: "image",
  name: `p${n}.jpg`,
  mime: "image/jpeg",
  size: 1,
  width: 2,
  height: 1,
});
const file = (name: string): Attachment => ({ id: name, kind: "file", name, mime: "application/pdf", size: 1, width: null, height: null });
const message = (patch: Partial<Parameters<typeof labelWithoutText>[0]>) => ({
  type: "image" as const,
  content: null,
  attachments: [],
  location: null,
  ...patch,
});

describe("the room list's words for a message without text", () => {
  it("says what a photo, several photos, a file and several files are", () => {
    expect(labelWithoutText(message({ attachments: [image(1)] }))).toBe("📷 Photo");
    expect(labelWithoutText(message({ attachments: [image(1), image(2), image(3)] }))).toBe("📷 3 photos");
    expect(labelWithoutText(message({ type: "file", attachments: [file("plan.pdf")] }))).toBe("📎 plan.pdf");
    expect(labelWithoutText(message({ type: "file", attachments: [file("a.pdf"), image(1)] }))).toBe("📎 2 files");
  });

  it("names a place by its label, and says nothing for a message with text", () => {
    expect(labelWithoutText(message({ type: "location", location: { latitude: 1, longitude: 2, label: "Harbour gate" } }))).toBe(
      "📍 Harbour gate",
    );
    expect(labelWithoutText(message({ type: "image", content: "Summit!", attachments: [image(1)] }))).toBeNull();
    expect(labelWithoutText(message({ type: "text", content: "  " }))).toBeNull();
  });
});
