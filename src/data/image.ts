// Image decoding and encoding through sharp (libvips). Decoding keeps the stored channel count
// (1 for MNIST-like PNGs, 3 for colour) and drops alpha; preprocessing replicates grey to RGB.
// Like tf.io.decode_image, EXIF orientation is ignored.
import sharp from 'sharp';
import { UserError } from '../errors.ts';
import type { Pixels, StoredImage } from './types.ts';

/**
 * The most pixels an image may claim: 8192², far beyond any image of the datasets L2P reads. A
 * corrupt header claims what it likes, and sharp's own limit (16383²) would let it size a 1 GB buffer.
 */
export const MAX_IMAGE_PIXELS = 2 ** 26;

/** Decodes a stored image to HWC uint8; an undecodable image is a UserError naming `origin`. */
export async function decodeImage(image: StoredImage, origin: string): Promise<Pixels> {
  if ('pixels' in image) return image.pixels;
  try {
    const { data, info } = await sharp(image.encoded, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      height: info.height,
      width: info.width,
      channels: info.channels,
    };
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new UserError(`${origin}: cannot decode the image (${reason})`);
  }
}

function sharpRaw(p: Pixels) {
  if (p.channels !== 1 && p.channels !== 3 && p.channels !== 4) throw new RangeError(`cannot encode ${p.channels} channels`);
  const s = sharp(p.data, { raw: { width: p.width, height: p.height, channels: p.channels } });
  // without this libvips writes grey input as three-channel sRGB
  return p.channels === 1 ? s.toColourspace('b-w') : s;
}

export async function encodePng(p: Pixels): Promise<Uint8Array> {
  return new Uint8Array(await sharpRaw(p).png().toBuffer());
}

export async function encodeJpeg(p: Pixels, quality = 90): Promise<Uint8Array> {
  return new Uint8Array(await sharpRaw(p).jpeg({ quality }).toBuffer());
}
