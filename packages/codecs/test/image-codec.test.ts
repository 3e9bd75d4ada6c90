import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CodecError,
  checkImageOptions,
  createImageCodec,
  DEFAULT_MAX_PIXELS,
  decodeImage,
  decodeRequest,
  encodeBase64,
  imgCodec,
  type Tensor,
} from '@infer/codecs';
import { describe, expect, it } from 'vitest';
import { loadSharp } from '../src/sharp-loader';

const finch = new Uint8Array(
  readFileSync(fileURLToPath(new URL('../../../fixtures/finch.jpeg', import.meta.url))),
);
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

describe('decodeImage on fixtures/finch.jpeg (real sharp)', () => {
  it('decodes to UINT8 HWC RGB at the native size', async () => {
    const image = await decodeImage(finch);
    expect(image.datatype).toBe('UINT8');
    expect(image.shape).toEqual([416, 500, 3]);
    expect(image.data).toHaveLength(416 * 500 * 3);
    const mean = (image.data as Uint8Array).reduce((a, b) => a + b, 0) / image.data.length;
    expect(mean).toBeGreaterThan(40);
    expect(mean).toBeLessThan(220);
  });

  it('resizes, goes CHW and normalises to FP32 the way MobileNet expects', async () => {
    const hwc = await decodeImage(finch, { width: 224, height: 224 });
    const chw = await decodeImage(finch, {
      width: 224,
      height: 224,
      layout: 'CHW',
      mean: MEAN,
      std: STD,
    });
    expect(chw.datatype).toBe('FP32');
    expect(chw.shape).toEqual([3, 224, 224]);
    // Pixel (y=10, x=20), channel 1, both ways.
    const pixel = (hwc.data as Uint8Array)[(10 * 224 + 20) * 3 + 1]!;
    const value = (chw.data as Float32Array)[1 * 224 * 224 + 10 * 224 + 20]!;
    expect(value).toBeCloseTo((pixel / 255 - MEAN[1]!) / STD[1]!, 5);
  });

  it('accepts base64 text and data URLs, and grey output', async () => {
    const fromBase64 = await decodeImage(encodeBase64(finch), { width: 8, height: 8 });
    const fromUrl = await decodeImage(`data:image/jpeg;base64,${encodeBase64(finch)}`, {
      width: 8,
      height: 8,
    });
    expect(fromUrl.data).toEqual(fromBase64.data);
    const grey = await decodeImage(finch, { width: 8, height: 4, channels: 1 });
    expect(grey.shape).toEqual([4, 8, 1]);
  });

  it('rejects bytes that are not an image, and bad options by path', async () => {
    await expect(decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]))).rejects.toSatisfy(
      (error) =>
        CodecError.isInstance(error) &&
        /^image could not be decoded as an image: /.test((error as Error).message),
    );
    // No bytes at all (an empty BYTES element, an empty upload): a CodecError (400), not
    // sharp's plain Error, which a server would answer 500 and fail the whole batch with.
    for (const empty of ['', new Uint8Array(0), 'data:image/jpeg;base64,']) {
      await expect(decodeImage(empty)).rejects.toSatisfy(
        (error) => CodecError.isInstance(error) && /^image is empty/.test((error as Error).message),
      );
    }
    await expect(decodeImage('%%%')).rejects.toThrow(
      'image (neither a known image format nor base64) is not valid base64: character "%" at 0',
    );
    await expect(decodeImage(finch, { width: 0 })).rejects.toThrow(
      'options.width must be an integer from 1 to 65535',
    );
    await expect(decodeImage(finch, { dtype: 'uint8', mean: 0.5 })).rejects.toThrow(
      "options.mean, std and scale need options.dtype 'float32'",
    );
    await expect(decodeImage(finch, { mean: [1, 2] })).rejects.toThrow(
      'options.mean must be a finite number or 3 finite numbers (one per channel)',
    );
  });
});

/** CRC-32 (PNG's), for the chunk rewritten below. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A valid 1 x 1 PNG whose header then claims `width` x `height` (a decompression bomb's header). */
async function pngClaiming(width: number, height: number): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const factory = sharp as unknown as (options: object) => {
    png(): { toBuffer(): Promise<Uint8Array> };
  };
  const png = new Uint8Array(
    await factory({
      create: { width: 1, height: 1, channels: 3, background: { r: 0, g: 0, b: 0 } },
    })
      .png()
      .toBuffer(),
  );
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  // Signature (8), IHDR length (4), "IHDR" (4), then width and height; the CRC covers type + data.
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

describe('decodeImage: images too large, and turned images', () => {
  it('refuses an image over maxPixels before decoding it (default 8192 x 8192)', async () => {
    expect(DEFAULT_MAX_PIXELS).toBe(8192 * 8192);
    const bomb = await pngClaiming(16_000, 16_000);
    expect(bomb.byteLength).toBeLessThan(100);
    await expect(decodeImage(bomb)).rejects.toSatisfy(
      (error) =>
        CodecError.isInstance(error) &&
        (error as Error).message ===
          `image has more than ${8192 * 8192} pixels (the maxPixels limit), refused before decoding`,
    );
    // A lower limit of one's own: the finch (500 x 416) is over 200,000 pixels.
    await expect(decodeImage(finch, { maxPixels: 200_000 })).rejects.toThrow(
      'image has more than 200000 pixels (the maxPixels limit), refused before decoding',
    );
    expect((await decodeImage(finch, { maxPixels: 500 * 416 })).shape).toEqual([416, 500, 3]);
    await expect(decodeImage(finch, { maxPixels: 0 })).rejects.toThrow(
      'options.maxPixels must be a positive integer',
    );
  });

  it('turns an image upright by its EXIF orientation unless autoOrient is false', async () => {
    const sharp = await loadSharp();
    const factory = sharp as unknown as (options: object) => {
      jpeg(): { withMetadata(m: object): { toBuffer(): Promise<Uint8Array> } };
    };
    // Stored 64 wide and 32 high, with orientation 6 (rotate 90 degrees to show).
    const sideways = new Uint8Array(
      await factory({
        create: { width: 64, height: 32, channels: 3, background: { r: 200, g: 10, b: 10 } },
      })
        .jpeg()
        .withMetadata({ orientation: 6 })
        .toBuffer(),
    );
    expect((await decodeImage(sideways)).shape).toEqual([64, 32, 3]);
    expect((await decodeImage(sideways, { autoOrient: false })).shape).toEqual([32, 64, 3]);
  });

  it('takes AVIF as raw bytes as well as base64; refuses SVG, raw or base64', async () => {
    const sharp = await loadSharp();
    const factory = sharp as unknown as (options: object) => {
      avif(): { toBuffer(): Promise<Uint8Array> };
    };
    const avif = new Uint8Array(
      await factory({
        create: { width: 8, height: 4, channels: 3, background: { r: 0, g: 0, b: 255 } },
      })
        .avif()
        .toBuffer(),
    );
    expect((await decodeImage(avif)).shape).toEqual([4, 8, 3]);
    expect((await decodeImage(encodeBase64(avif))).shape).toEqual([4, 8, 3]);
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>';
    await expect(decodeImage(encodeBase64(new TextEncoder().encode(svg)))).rejects.toThrow(
      'image is not an image of a known format (JPEG, PNG, GIF, WebP, BMP, TIFF, AVIF/HEIF)',
    );
    await expect(decodeImage(new TextEncoder().encode(svg))).rejects.toSatisfy((error) =>
      CodecError.isInstance(error),
    );
  });

  it('checkImageOptions names the option at fault without decoding anything', () => {
    expect(() => checkImageOptions({ width: 224, height: 224, layout: 'CHW' })).not.toThrow();
    expect(() => checkImageOptions({ mean: [0.5, 0.5] }, 'options.image')).toThrow(
      'options.image.mean must be a finite number or 3 finite numbers (one per channel)',
    );
    expect(() => checkImageOptions({ autoOrient: 'yes' as never })).toThrow(
      'options.autoOrient must be a boolean',
    );
  });
});

describe('the img content type', () => {
  const tensor: Tensor = {
    name: 'image',
    datatype: 'BYTES',
    shape: [2],
    data: [finch, new TextEncoder().encode(encodeBase64(finch))],
  };

  it('decodes a BYTES batch of images to [N, H, W, C]', async () => {
    const images = (await imgCodec.decode(tensor)) as Tensor<'UINT8'>;
    expect(images.shape).toEqual([2, 416, 500, 3]);
    const half = images.data.length / 2;
    expect(images.data.subarray(0, half)).toEqual(images.data.subarray(half));
  });

  it('is picked by content_type through decodeRequest, with options from createImageCodec', async () => {
    const codec = createImageCodec({
      width: 224,
      height: 224,
      layout: 'CHW',
      mean: MEAN,
      std: STD,
    });
    const x = (await codec.decode(tensor)) as Tensor<'FP32'>;
    expect(x.shape).toEqual([2, 3, 224, 224]);
    const values = await decodeRequest({
      inputs: [{ ...tensor, parameters: { content_type: 'img' } }],
    });
    expect((values['image'] as Tensor).shape).toEqual([2, 416, 500, 3]);
  });

  it('encodes UINT8 HWC pixels to PNG losslessly', async () => {
    const pixels = await decodeImage(finch, { width: 16, height: 12 });
    const png = (await imgCodec.encode('out', pixels)) as Tensor<'BYTES'>;
    expect(png.shape).toEqual([1]);
    expect(Array.from(png.data[0]!.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const back = await decodeImage(png.data[0]!);
    expect(back.data).toEqual(pixels.data);
  });

  it('refuses pixels whose length does not fit the shape (too few, too many)', async () => {
    for (const length of [18, 300]) {
      const pixels: Tensor<'UINT8'> = {
        name: 'px',
        datatype: 'UINT8',
        shape: length === 18 ? [100, 100, 3] : [1, 1, 3],
        data: new Uint8Array(length),
      };
      await expect(imgCodec.encode('out', pixels)).rejects.toThrow(CodecError);
    }
  });

  it('names the image that fails inside a batch', async () => {
    const bad: Tensor = {
      name: 'pics',
      datatype: 'BYTES',
      shape: [2],
      data: [finch, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1])],
    };
    await expect(imgCodec.decode(bad)).rejects.toSatisfy(
      (error) =>
        CodecError.isInstance(error) &&
        error.input === 'pics' &&
        error.index === 1 &&
        (error as Error).message.startsWith(
          'input "pics": image 1 could not be decoded as an image',
        ),
    );
  });

  it('says how to install sharp when it cannot be loaded', async () => {
    await expect(loadSharp('sharp-that-is-not-installed')).rejects.toSatisfy(
      (error) =>
        CodecError.isInstance(error) &&
        (error as Error).message.startsWith(
          'the img content type needs the optional peer dependency "sharp-that-is-not-installed", which could not be loaded: install it with `npm install sharp`',
        ),
    );
  });
});
