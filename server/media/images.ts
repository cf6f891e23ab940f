import sharp from "sharp";
import { THUMBNAIL_MAX_SIDE } from "../../shared/media/limits.ts";

/** An uploaded image as it is kept: upright, without its metadata, its size known, with a thumbnail. */
export interface PreparedImage {
  bytes: Buffer;
  width: number;
  height: number;
  /** A WebP of at most THUMBNAIL_MAX_SIDE px on its longest side. */
  thumbnail: Buffer;
}

/** Why an image was not taken: too many pixels (413), or bytes that do not decode (415). */
export class ImageRefused extends Error {
  constructor(
    readonly reason: "too_many_pixels" | "undecodable",
    message: string,
  ) {
    super(message);
  }
}

// Decoding a large photo takes a few hundred megabytes and a core for a third of a second: at most
// this many at once, the rest wait their turn (libvips also spreads one image over threads).
const AT_ONCE = 2;
let running = 0;
const waiting: Array<() => void> = [];

async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  // A finishing image hands its slot straight to the next in line, so the count never overshoots.
  if (running >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** See `prepare`: the same, taking its turn among the images being prepared. */
export function prepareImage(input: Buffer, mime: string, maxPixels: number): Promise<PreparedImage> {
  return inTurn(() => prepare(input, mime, maxPixels));
}

/**
 * Rotate the image upright and drop its metadata (a phone photo's EXIF carries where it was
 * taken: a runner's front door), then make its thumbnail (of the first frame, when animated).
 * `maxPixels` bounds the decoded size, so a small file cannot unpack into gigabytes.
 */
async function prepare(input: Buffer, mime: string, maxPixels: number): Promise<PreparedImage> {
  const open = () => sharp(input, { limitInputPixels: maxPixels, failOn: "error" });
  try {
    const meta = await open().metadata();
    const animated = (meta.pages ?? 1) > 1;
    let kept: { bytes: Buffer; width: number; height: number };
    if (animated) {
      // Every frame re-encoded (metadata goes, the animation stays); frames are not rotated.
      const frames = sharp(input, { limitInputPixels: maxPixels, failOn: "error", animated: true });
      const data = await (mime === "image/gif" ? frames.gif() : frames.webp({ quality: 90 })).toBuffer();
      kept = { bytes: data, width: meta.width ?? 1, height: meta.pageHeight ?? meta.height ?? 1 };
    } else {
      const upright = open().rotate();
      const encoded =
        mime === "image/png"
          ? upright.png()
          : mime === "image/gif"
            ? upright.gif()
            : mime === "image/webp"
              ? upright.webp({ quality: 90 })
              : mime === "image/avif"
                ? upright.avif({ quality: 70, effort: 2 })
                : upright.jpeg({ quality: 90 });
      const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
      kept = { bytes: data, width: info.width, height: info.height };
    }
    const thumbnail = await open()
      .rotate()
      .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return { ...kept, thumbnail };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new ImageRefused("too_many_pixels", `Images are limited to ${Math.round(maxPixels / 1_000_000)} megapixels.`);
    }
    throw new ImageRefused("undecodable", "The image could not be read: it may be damaged.");
  }
}
