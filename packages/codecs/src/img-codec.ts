import type { ContentTypeCodec } from './content-type-codec';
import { type DecodeImageOptions, decodeImageWith, imageSettings } from './decode-image';
import { CodecError } from './errors';
import { loadSharp } from './sharp-loader';
import { bytesElements } from './str-codec';
import type { Tensor } from './types';

/**
 * An `img` codec with fixed decoding options (resize, layout, dtype, normalisation).
 * Decoding turns a BYTES tensor of N encoded images (raw bytes, base64 text or data URLs)
 * into one tensor `[N, H, W, C]` (or `[N, C, H, W]`); all images must end up the same size,
 * so give `width` and `height` when they differ. Encoding turns a UINT8 `[H, W, C]` or
 * `[N, H, W, C]` tensor into PNGs. Needs the optional peer dependency `sharp`.
 *
 * @example
 * registerCodec(createImageCodec({ width: 224, height: 224, layout: 'CHW', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }), { override: true });
 */
export function createImageCodec(
  options: DecodeImageOptions = {},
): ContentTypeCodec<Tensor<'UINT8'> | Tensor<'FP32'>> {
  const settings = imageSettings(options);
  return {
    contentType: 'img',
    async decode(tensor) {
      const elements = bytesElements(tensor, 'img');
      if (elements.length === 0) {
        throw new CodecError(
          `input ${JSON.stringify(tensor.name)}: content_type img needs at least one image`,
          {
            input: tensor.name,
          },
        );
      }
      const images: (Tensor<'UINT8'> | Tensor<'FP32'>)[] = [];
      for (let index = 0; index < elements.length; index++) {
        const what = `input ${JSON.stringify(tensor.name)}: image ${index}`;
        try {
          images.push(await decodeImageWith(elements[index]!, settings, what));
        } catch (error) {
          if (CodecError.isInstance(error) && error.input === undefined) {
            throw new CodecError(error.message, { input: tensor.name, index, cause: error });
          }
          throw error;
        }
      }
      const first = images[0]!;
      const mismatch = images.findIndex((image) => image.shape.join() !== first.shape.join());
      if (mismatch >= 0) {
        throw new CodecError(
          `input ${JSON.stringify(tensor.name)}: image ${mismatch} is [${images[mismatch]!.shape.join(',')}] but image 0 is [${first.shape.join(',')}]; set width and height to resize them to one size`,
          { input: tensor.name, index: mismatch },
        );
      }
      const size = first.data.length;
      const data =
        settings.dtype === 'uint8'
          ? new Uint8Array(size * images.length)
          : new Float32Array(size * images.length);
      for (const [i, image] of images.entries()) data.set(image.data, i * size);
      return {
        name: tensor.name,
        datatype: first.datatype,
        shape: [images.length, ...first.shape],
        data,
      } as Tensor<'UINT8'> | Tensor<'FP32'>;
    },
    async encode(name, value) {
      if (value.datatype !== 'UINT8' || (value.shape.length !== 3 && value.shape.length !== 4)) {
        throw new CodecError(
          `output ${JSON.stringify(name)}: the img codec encodes UINT8 [H, W, C] or [N, H, W, C] tensors, got ${value.datatype} [${value.shape.join(',')}]`,
          { input: name },
        );
      }
      const [height, width, channels] = value.shape.slice(-3) as [number, number, number];
      if (channels < 1 || channels > 4) {
        throw new CodecError(
          `output ${JSON.stringify(name)}: images need 1 to 4 channels, got ${channels}`,
          {
            input: name,
          },
        );
      }
      const count = value.shape.length === 4 ? value.shape[0]! : 1;
      const size = height * width * channels;
      if (value.data.length !== count * size) {
        throw new CodecError(
          `output ${JSON.stringify(name)}: ${value.data.length} bytes, shape [${value.shape}] needs ${count * size}`,
          { input: name },
        );
      }
      const sharp = await loadSharp();
      const data: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const pixels = (value.data as Uint8Array).subarray(i * size, (i + 1) * size);
        const png = await sharp(pixels, {
          raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
        })
          .png()
          .toBuffer({ resolveWithObject: true });
        data.push(new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength));
      }
      return { name, datatype: 'BYTES', shape: [count], data, parameters: { content_type: 'img' } };
    },
    canEncode: () => false,
  };
}

/**
 * The built-in `img` codec: encoded images -> UINT8 `[N, H, W, C]`, no resize. Register a
 * `createImageCodec(options)` under `img` to change the options.
 *
 * @example
 * const images = await imgCodec.decode(tensor); // Tensor<'UINT8'>, shape [1, H, W, 3]
 */
export const imgCodec = createImageCodec();
