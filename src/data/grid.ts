// A contact sheet of preprocessed samples with their labels drawn underneath, for `l2p data preview`.
// Labels are drawn with a built-in 3×5 digit font, so no system font is needed.
import type { Pixels } from './types.ts';

// Rows of each digit, 3 bits wide, most significant bit on the left.
const DIGITS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 1, 1],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
};

const PAD = 4;
const SCALE = 3; // pixels per font dot
const STRIP = 5 * SCALE + 2 * PAD;

function drawText(img: Pixels, text: string, x0: number, y0: number): void {
  let x = x0;
  for (const ch of text) {
    const rows = DIGITS[ch];
    if (rows) {
      for (let r = 0; r < 5; r++) {
        for (let c = 0; c < 3; c++) {
          if (!((rows[r] >> (2 - c)) & 1)) continue;
          for (let dy = 0; dy < SCALE; dy++) {
            for (let dx = 0; dx < SCALE; dx++) {
              const px = x + c * SCALE + dx;
              const py = y0 + r * SCALE + dy;
              if (px < img.width && py < img.height) img.data.fill(255, (py * img.width + px) * 3, (py * img.width + px) * 3 + 3);
            }
          }
        }
      }
    }
    x += 4 * SCALE;
  }
}

/** Lays out `count` images of size×size×3 (floats in [0, 1]) in a near-square grid with labels. */
export function labeledGrid(images: Float32Array, labels: ArrayLike<number>, count: number, size: number): Pixels {
  const cols = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const cellW = size + PAD;
  const cellH = size + STRIP;
  const width = cols * cellW + PAD;
  const height = rows * cellH + PAD;
  const out: Pixels = { data: new Uint8Array(width * height * 3).fill(32), height, width, channels: 3 };
  for (let k = 0; k < count; k++) {
    const x0 = PAD + (k % cols) * cellW;
    const y0 = PAD + Math.floor(k / cols) * cellH;
    const src = images.subarray(k * size * size * 3, (k + 1) * size * size * 3);
    for (let y = 0; y < size; y++) {
      const row = ((y0 + y) * width + x0) * 3;
      for (let i = 0; i < size * 3; i++) out.data[row + i] = Math.round(Math.min(1, Math.max(0, src[y * size * 3 + i])) * 255);
    }
    drawText(out, String(labels[k]), x0, y0 + size + PAD);
  }
  return out;
}
