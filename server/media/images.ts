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

/**
 * Rotate the image upright and drop its metadata (a phone photo's EXIF carries where it was
 * taken: a runner's front door), then make its thumbnail. Animated GIF and WebP are kept as sent,
 * since re-encoding them here would keep only their first frame; GIF carries no EXIF.
 * `maxPixels` bounds the decoded size, so a small file cannot unpack into gigabytes.
 */
export async function prepareImage(input: Buffer, mime: string, maxPixels: number): Promise<PreparedImage> {
  const open = () => sharp(input, { limitInputPixels: maxPixels, failOn: "error" });
  try {
    const meta = await open().metadata();
    const animated = (meta.pages ?? 1) > 1 || mime === "image/gif";
    let kept: { bytes: Buffer; width: number; height: number };
    if (animated) {
      kept = { bytes: input, width: meta.width ?? 1, height: meta.height ?? 1 };
    } else {
      const upright = open().rotate();
      const encoded =
        mime === "image/png"
          ? upright.png()
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
