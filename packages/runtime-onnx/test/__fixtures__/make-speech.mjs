#!/usr/bin/env node
// Makes `speech.wav`, the speech clip of the Silero VAD test: one English sentence spoken by
// espeak-ng (Debian package `espeak-ng`, GPL-3.0 program; its output audio is not covered by
// the program's license), resampled 22,050 Hz -> 16,000 Hz mono 16-bit PCM, with exactly 1 s
// of digital silence before and after. The test reads the checked-in file; this script only
// records how it was made: `node packages/runtime-onnx/test/__fixtures__/make-speech.mjs`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEXT = 'The quick brown fox jumps over the lazy dog.';
const RATE = 16_000;
const here = dirname(fileURLToPath(import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'speech-'));
const raw = join(scratch, 'espeak.wav');
execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, TEXT]);

/** Reads a mono 16-bit PCM WAV: sample rate and samples in [-1, 1]. */
function readWav(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let rate = 0;
  while (offset < bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') rate = view.getUint32(offset + 12, true);
    if (id === 'data') {
      const count = Math.min(size, bytes.length - offset - 8) / 2;
      const samples = new Float32Array(count);
      for (let i = 0; i < count; i++) samples[i] = view.getInt16(offset + 8 + i * 2, true) / 32768;
      return { rate, samples };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

const { rate, samples } = readWav(readFileSync(raw));
const length = Math.floor((samples.length * RATE) / rate);
const pad = RATE; // 1 s of silence on each side
const out = new Int16Array(pad + length + pad);
for (let i = 0; i < length; i++) {
  const x = (i * rate) / RATE;
  const i0 = Math.floor(x);
  const a = samples[i0] ?? 0;
  const b = samples[i0 + 1] ?? a;
  const value = a + (b - a) * (x - i0);
  out[pad + i] = Math.max(-32768, Math.min(32767, Math.round(value * 32767)));
}
const header = Buffer.alloc(44);
header.write('RIFF', 0, 'ascii');
header.writeUInt32LE(36 + out.byteLength, 4);
header.write('WAVEfmt ', 8, 'ascii');
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20); // PCM
header.writeUInt16LE(1, 22); // mono
header.writeUInt32LE(RATE, 24);
header.writeUInt32LE(RATE * 2, 28);
header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34);
header.write('data', 36, 'ascii');
header.writeUInt32LE(out.byteLength, 40);
writeFileSync(join(here, 'speech.wav'), Buffer.concat([header, Buffer.from(out.buffer)]));
rmSync(scratch, { recursive: true });
console.log(`speech.wav: ${(out.length / RATE).toFixed(2)} s (${length} samples of speech)`);
