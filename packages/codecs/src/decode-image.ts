import { decodeBase64 } from './base64';
import { CodecError } from './errors';
import { loadSharp } from './sharp-loader';
import type { Tensor } from './types';

/** Options of `decodeImage` and `createImageCodec`. */
export interface DecodeImageOptions {
  /** Resize to this width, in pixels. Default: keep the image's width (or scale with `height`). */
  width?: number;
  /** Resize to this height, in pixels. Default: keep the image's height (or scale with `width`). */
  height?: number;
  /** How a resize fits both sizes (sharp's `fit`). Default `'fill'` (stretch, as most vision models expect). */
  fit?: 'fill' | 'cover' | 'contain' | 'inside' | 'outside';
  /** Channels of the result: 1 (grey), 3 (RGB), 4 (RGBA). Default 3. */
  channels?: 1 | 3 | 4;
  /** Memory layout: `'HWC'` (height, width, channels) or `'CHW'`. Default `'HWC'`. */
  layout?: 'HWC' | 'CHW';
  /** Element type: `'uint8'` (0..255) or `'float32'`. Default `'uint8'`, or `'float32'` when `mean`, `std` or `scale` is given. */
  dtype?: 'uint8' | 'float32';
  /** float32 only: each pixel is first multiplied by this. Default `1 / 255`. */
  scale?: number;
  /** float32 only: subtracted per channel after scaling (one number or one per channel). Default 0. */
  mean?: number | readonly number[];
  /** float32 only: divides per channel after `mean`. Default 1. */
  std?: number | readonly number[];
  /** Name of the returned tensor. Default `'image'`. */
  name?: string;
  /**
   * Most pixels (width x height) an image may have, checked before it is decoded: a small
   * file can declare a huge image (a 0.7 MB PNG of 16000 x 16000 decodes to 768 MB, 3 GB as
   * FP32). Over it, a `CodecError` (400). Default `DEFAULT_MAX_PIXELS` (8192 x 8192).
   */
  maxPixels?: number;
  /**
   * Turn the image upright as its EXIF orientation says (what a browser shows; phones store
   * many photos sideways with that tag), before any resize. Default `true`.
   */
  autoOrient?: boolean;
}

/** The default of `maxPixels`: 8192 x 8192 (about 67 million; PIL warns past 89 million). */
export const DEFAULT_MAX_PIXELS = 8192 * 8192;

/** @internal Options after validation. */
export interface ImageSettings {
  width: number | undefined;
  height: number | undefined;
  fit: NonNullable<DecodeImageOptions['fit']>;
  channels: 1 | 3 | 4;
  layout: 'HWC' | 'CHW';
  dtype: 'uint8' | 'float32';
  scale: number;
  mean: number[];
  std: number[];
  name: string;
  maxPixels: number;
  autoOrient: boolean;
}

const FITS = ['fill', 'cover', 'contain', 'inside', 'outside'] as const;

/**
 * Checks image options without decoding anything, so a server can refuse bad ones when it
 * starts rather than on every request. Throws a `TypeError` or `RangeError` whose message
 * starts with the option's path (`options.image.width must be ...`).
 *
 * @example
 * checkImageOptions({ width: 224, height: 224, layout: 'CHW' }, 'options.image'); // fine
 * checkImageOptions({ mean: [0.5, 0.5] }); // throws: options.mean must be a finite number or 3 finite numbers (one per channel)
 */
export function checkImageOptions(options: DecodeImageOptions, path = 'options'): void {
  imageSettings(options, path);
}

/**
 * Validates image options up front; messages name the option path.
 *
 * @internal
 */
export function imageSettings(options: DecodeImageOptions = {}, path = 'options'): ImageSettings {
  const { width, height } = options;
  for (const [key, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 65535)) {
      throw new TypeError(`${path}.${key} must be an integer from 1 to 65535`);
    }
  }
  const fit = options.fit ?? 'fill';
  if (!FITS.includes(fit)) throw new TypeError(`${path}.fit must be one of ${FITS.join(', ')}`);
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new TypeError(`${path}.channels must be 1, 3 or 4`);
  }
  const layout = options.layout ?? 'HWC';
  if (layout !== 'HWC' && layout !== 'CHW')
    throw new TypeError(`${path}.layout must be 'HWC' or 'CHW'`);
  const normalises =
    options.mean !== undefined || options.std !== undefined || options.scale !== undefined;
  const dtype = options.dtype ?? (normalises ? 'float32' : 'uint8');
  if (dtype !== 'uint8' && dtype !== 'float32') {
    throw new TypeError(`${path}.dtype must be 'uint8' or 'float32'`);
  }
  if (dtype === 'uint8' && normalises) {
    throw new RangeError(`${path}.mean, std and scale need ${path}.dtype 'float32'`);
  }
  const scale = options.scale ?? 1 / 255;
  if (!Number.isFinite(scale) || scale <= 0)
    throw new TypeError(`${path}.scale must be a positive number`);
  const mean = perChannel(options.mean, 0, channels, `${path}.mean`);
  const std = perChannel(options.std, 1, channels, `${path}.std`);
  if (std.some((value) => value === 0)) throw new TypeError(`${path}.std must not contain 0`);
  const name = options.name ?? 'image';
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`${path}.name must be a non-empty string`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw new TypeError(`${path}.maxPixels must be a positive integer`);
  }
  const autoOrient = options.autoOrient ?? true;
  if (typeof autoOrient !== 'boolean') throw new TypeError(`${path}.autoOrient must be a boolean`);
  return {
    width,
    height,
    fit,
    channels,
    layout,
    dtype,
    scale,
    mean,
    std,
    name,
    maxPixels,
    autoOrient,
  };
}

function perChannel(
  value: number | readonly number[] | undefined,
  fallback: number,
  channels: number,
  path: string,
): number[] {
  const given = value === undefined ? [fallback] : typeof value === 'number' ? [value] : [...value];
  const values = given.length === 1 ? Array.from({ length: channels }, () => given[0]!) : given;
  if (values.length !== channels || values.some((item) => !Number.isFinite(item))) {
    throw new TypeError(
      `${path} must be a finite number or ${channels} finite numbers (one per channel)`,
    );
  }
  return values;
}

const MAGIC: readonly (readonly number[])[] = [
  [0xff, 0xd8, 0xff], // JPEG
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0x47, 0x49, 0x46, 0x38], // GIF
  [0x52, 0x49, 0x46, 0x46], // RIFF (WebP)
  [0x42, 0x4d], // BMP
  [0x49, 0x49, 0x2a, 0x00], // TIFF LE
  [0x4d, 0x4d, 0x00, 0x2a], // TIFF BE
];

/** ISO base media files (AVIF, HEIF): a box size, then `ftyp` at byte 4. */
const FTYP = [0x66, 0x74, 0x79, 0x70];

/** Whether `bytes` open as one of the raster formats decoded here. */
function knownFormat(bytes: Uint8Array): boolean {
  return (
    MAGIC.some((magic) => magic.every((byte, i) => bytes[i] === byte)) ||
    FTYP.every((byte, i) => bytes[4 + i] === byte)
  );
}

/**
 * @internal Raw encoded image bytes as they are, or base64 text (optionally a data URL)
 * decoded. Either way the bytes must be a raster format of the list (JPEG, PNG, GIF, WebP,
 * BMP, TIFF, AVIF/HEIF): not an SVG, which sharp would render (a document, not pixels).
 */
export function imageBytes(input: Uint8Array | string, what: string): Uint8Array {
  if (input instanceof Uint8Array && knownFormat(input)) return input;
  let text = typeof input === 'string' ? input : new TextDecoder('latin1').decode(input);
  const comma = text.startsWith('data:') ? text.indexOf(',') : -1;
  if (comma >= 0) text = text.slice(comma + 1);
  const bytes = decodeBase64(text.trim(), `${what} (neither a known image format nor base64)`);
  // sharp throws a plain Error on no bytes at all: the client's fault, so a CodecError here.
  if (bytes.byteLength === 0) throw new CodecError(`${what} is empty: send the image's bytes`);
  if (!knownFormat(bytes)) {
    throw new CodecError(
      `${what} is not an image of a known format (JPEG, PNG, GIF, WebP, BMP, TIFF, AVIF/HEIF)`,
    );
  }
  return bytes;
}

/**
 * Decodes one encoded image (JPEG, PNG, WebP, GIF, TIFF... as raw bytes, base64 text or a
 * data URL) into a tensor: UINT8 `[H, W, C]` by default, or resized, CHW and/or
 * normalised FP32. Needs the optional peer dependency `sharp`.
 *
 * @throws CodecError when the bytes are not an image or sharp is not installed;
 *   TypeError/RangeError for bad options.
 * @example
 * const x = await decodeImage(jpeg, { width: 224, height: 224, layout: 'CHW', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
 * x.shape; // [3, 224, 224]
 */
export async function decodeImage(
  input: Uint8Array | string,
  options: DecodeImageOptions = {},
): Promise<Tensor<'UINT8'> | Tensor<'FP32'>> {
  return decodeImageWith(input, imageSettings(options), 'image');
}

/** @internal `decodeImage` with validated settings; `what` names the image in errors. */
export async function decodeImageWith(
  input: Uint8Array | string,
  settings: ImageSettings,
  what: string,
): Promise<Tensor<'UINT8'> | Tensor<'FP32'>> {
  const bytes = imageBytes(input, what);
  const sharp = await loadSharp();
  let raw: { data: Uint8Array; info: { width: number; height: number; channels: number } };
  try {
    // Inside the try: sharp can throw while building the pipeline too, not only while decoding.
    let pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: settings.maxPixels });
    if (settings.autoOrient) pipeline = pipeline.rotate();
    if (settings.width !== undefined || settings.height !== undefined) {
      pipeline = pipeline.resize(settings.width, settings.height, { fit: settings.fit });
    }
    if (settings.channels === 1) pipeline = pipeline.removeAlpha().greyscale();
    else if (settings.channels === 3) pipeline = pipeline.removeAlpha().toColourspace('srgb');
    else pipeline = pipeline.ensureAlpha().toColourspace('srgb');
    raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    const message = (cause as Error).message;
    if (/pixel limit/i.test(message)) {
      throw new CodecError(
        `${what} has more than ${settings.maxPixels} pixels (the maxPixels limit), refused before decoding`,
        { cause },
      );
    }
    throw new CodecError(`${what} could not be decoded as an image: ${message}`, { cause });
  }
  const { width, height, channels } = raw.info;
  if (channels !== settings.channels) {
    throw new CodecError(`${what} decoded to ${channels} channels, expected ${settings.channels}`);
  }
  const pixels = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const shape = settings.layout === 'HWC' ? [height, width, channels] : [channels, height, width];
  if (settings.dtype === 'uint8') {
    const data =
      settings.layout === 'HWC'
        ? pixels
        : toPlanar(pixels, width * height, channels, new Uint8Array(pixels.length), 1, [0], [1]);
    return { name: settings.name, datatype: 'UINT8', shape, data };
  }
  const out = new Float32Array(pixels.length);
  const data =
    settings.layout === 'HWC'
      ? toInterleaved(pixels, channels, out, settings.scale, settings.mean, settings.std)
      : toPlanar(
          pixels,
          width * height,
          channels,
          out,
          settings.scale,
          settings.mean,
          settings.std,
        );
  return { name: settings.name, datatype: 'FP32', shape, data };
}

function toPlanar<T extends Uint8Array | Float32Array>(
  pixels: Uint8Array,
  area: number,
  channels: number,
  out: T,
  scale: number,
  mean: readonly number[],
  std: readonly number[],
): T {
  for (let c = 0; c < channels; c++) {
    const m = mean[c] ?? mean[0]!;
    const s = std[c] ?? std[0]!;
    const base = c * area;
    for (let p = 0; p < area; p++) out[base + p] = (pixels[p * channels + c]! * scale - m) / s;
  }
  return out;
}

function toInterleaved(
  pixels: Uint8Array,
  channels: number,
  out: Float32Array,
  scale: number,
  mean: readonly number[],
  std: readonly number[],
): Float32Array {
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels;
    out[i] = (pixels[i]! * scale - mean[c]!) / std[c]!;
  }
  return out;
}
