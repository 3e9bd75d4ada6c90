import { CodecError } from './errors';

/** @internal The part of sharp's API the image codec uses (sharp stays an optional peer). */
export interface SharpPipeline {
  resize(width?: number, height?: number, options?: { fit?: string }): SharpPipeline;
  /** Without an angle: upright as the EXIF orientation says. */
  rotate(): SharpPipeline;
  removeAlpha(): SharpPipeline;
  ensureAlpha(): SharpPipeline;
  greyscale(): SharpPipeline;
  toColourspace(space: string): SharpPipeline;
  raw(): SharpPipeline;
  png(): SharpPipeline;
  toBuffer(options: { resolveWithObject: true }): Promise<{
    data: Uint8Array;
    info: { width: number; height: number; channels: number };
  }>;
}

/** @internal */
export type SharpFactory = (
  input: Uint8Array,
  options?: {
    failOn?: string;
    limitInputPixels?: number;
    raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
  },
) => SharpPipeline;

let loaded: Promise<SharpFactory> | undefined;

/**
 * Imports sharp once; when it is not installed, a `CodecError` that says how to fix it.
 * `specifier` exists for tests.
 *
 * @internal
 */
export function loadSharp(specifier = 'sharp'): Promise<SharpFactory> {
  if (specifier === 'sharp' && loaded !== undefined) return loaded;
  const promise = (import(/* @vite-ignore */ specifier) as Promise<{ default?: unknown }>).then(
    (module) => (module.default ?? module) as SharpFactory,
    (cause: unknown) => {
      if (specifier === 'sharp') loaded = undefined;
      throw new CodecError(
        `the img content type needs the optional peer dependency "${specifier}", which could not be loaded: install it with \`npm install sharp\` (${(cause as Error).message})`,
        { cause },
      );
    },
  );
  if (specifier === 'sharp') loaded = promise;
  return promise;
}
