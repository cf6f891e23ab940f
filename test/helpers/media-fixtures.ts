import sharp from "sharp";
import type { TestUser } from "./api-client.ts";

/** A JPEG photo as a phone makes one: sideways (EXIF orientation 6) and carrying who took it. */
export function phonePhoto(width = 400, height = 200): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .jpeg()
    .withExif({ IFD0: { Artist: "Ana Lima, 12 Harbour Road", Copyright: "Ana" } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A small PNG. */
export function png(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 1 } } })
    .png()
    .toBuffer();
}

/** The first bytes of a PDF: enough for the type to be read from them. */
export const PDF_BYTES = Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

/** A Windows executable's header ("MZ" ... "PE"), wearing an image's name in the tests. */
export function executable(): Buffer {
  const bytes = Buffer.alloc(512);
  bytes.write("MZ", 0, "latin1");
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write("PE\0\0", 0x80, "latin1");
  return bytes;
}

/** Upload `bytes` as `user` to `roomId` over the real HTTP API. */
export async function upload(
  baseUrl: string,
  user: TestUser | null,
  roomId: string,
  name: string,
  bytes: Buffer,
  extra: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const query = new URLSearchParams({ room_id: roomId, name, ...extra });
  const response = await fetch(`${baseUrl}/api/v1/media?${query}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", ...(user ? { authorization: `Bearer ${user.token}` } : {}) },
    body: new Uint8Array(bytes),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** GET a media path as `user`: status, headers and the raw bytes. */
export async function download(
  baseUrl: string,
  user: TestUser | null,
  path: string,
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${baseUrl}${path}`, { headers: user ? { authorization: `Bearer ${user.token}` } : {} });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}
