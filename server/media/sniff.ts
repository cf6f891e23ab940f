import { fileTypeFromBuffer } from "file-type";
import { IMAGE_MIME_TYPES } from "../../shared/media/limits.ts";

/** What an upload really is, read from its bytes: never from its name or the Content-Type sent. */
export type Sniffed = { kind: "image" | "file"; mime: string } | { refused: string };

/**
 * Files members may share besides the inline images: documents, archives, audio, video, and the
 * photo formats browsers cannot show inline (offered as a download). Executables, disk images,
 * scripts with a signature and everything else file-type recognises are refused.
 */
const FILE_MIME_TYPES: ReadonlySet<string> = new Set([
  "application/pdf",
  "application/zip",
  "application/gzip",
  "application/epub+zip",
  "application/rtf",
  "application/xml",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/vnd.oasis.opendocument.presentation",
  "audio/mpeg",
  "audio/mp4",
  "audio/x-m4a",
  "audio/aac",
  "audio/ogg",
  "audio/wav",
  "audio/flac",
  "video/mp4",
  "video/quicktime",
  "video/webm",
  "image/heic",
  "image/heif",
  "image/tiff",
  "image/bmp",
]);

// Bytes of a text file besides printable ones: tab, line feed, carriage return.
const TEXT_CONTROL_ALLOWED = new Set([9, 10, 13]);

/** Plain UTF-8 text (a GPX route, a CSV of splits, notes): no signature, so judged by its bytes. */
function isPlainText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 64 * 1024);
  for (const byte of sample) if (byte < 32 && !TEXT_CONTROL_ALLOWED.has(byte)) return false;
  try {
    // A multi-byte character cut at the sample's end is not an error: decode in streaming mode.
    new TextDecoder("utf-8", { fatal: true }).decode(sample, { stream: sample.length < bytes.length });
    return true;
  } catch {
    return false;
  }
}

/** Sniff an upload's type from its first bytes (file-type), and say whether this server takes it. */
export async function sniffMedia(bytes: Uint8Array): Promise<Sniffed> {
  if (bytes.length === 0) return { refused: "The file is empty." };
  const detected = await fileTypeFromBuffer(bytes);
  if (!detected) {
    return isPlainText(bytes)
      ? { kind: "file", mime: "text/plain" }
      : { refused: "The file's type could not be recognised from its bytes." };
  }
  if (IMAGE_MIME_TYPES.has(detected.mime)) return { kind: "image", mime: detected.mime };
  if (FILE_MIME_TYPES.has(detected.mime)) return { kind: "file", mime: detected.mime };
  return { refused: `Files of type ${detected.mime} (.${detected.ext}) are not accepted.` };
}
