// Small DOM helpers of the page: element lookup, the message line, images to pixels.
import type { Pixels } from '../../data/types.ts';

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e;
}

/** Shows a message in the page's alert line; errors in red. Nothing else changes. */
export function showMessage(text: string, error = false): void {
  const m = $('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

export function showError(e: unknown): void {
  console.error(e);
  showMessage(e instanceof Error ? e.message : String(e), true);
}

/** A canvas's image as 28×28 grey pixels (white strokes on black, as MNIST). */
export function canvasPixels(src: HTMLCanvasElement, size = 28): Pixels {
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(src, 0, 0, size, size);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const data = new Uint8Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3);
  return { data, height: size, width: size, channels: 1 };
}

/** An image file decoded by the browser and scaled to size × size RGB; a file that is not an image is refused by name. */
export async function filePixels(f: File, size = 28): Promise<Pixels> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(f);
  } catch {
    throw new Error(`'${f.name}' is not an image this browser can decode (${f.type || 'unknown type'}); nothing was added`);
  }
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  ctx.drawImage(bmp, 0, 0, size, size);
  bmp.close();
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) for (let k = 0; k < 3; k++) data[3 * i + k] = rgba[4 * i + k];
  return { data, height: size, width: size, channels: 3 };
}

/** A thumbnail canvas of pixels. */
export function thumb(p: Pixels): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = p.width;
  c.height = p.height;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(p.width, p.height);
  for (let i = 0; i < p.width * p.height; i++) {
    for (let k = 0; k < 3; k++) img.data[4 * i + k] = p.channels === 1 ? p.data[i] : p.data[3 * i + k];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

/** Freehand drawing with the pointer: white strokes on black. */
export function drawingPad(c: HTMLCanvasElement): { clear(): void } {
  const ctx = c.getContext('2d')!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, c.width, c.height);
  };
  clear();
  let down = false;
  const at = (e: PointerEvent): [number, number] => {
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height];
  };
  c.addEventListener('pointerdown', (e) => {
    down = true;
    c.setPointerCapture(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  c.addEventListener('pointermove', (e) => {
    if (!down) return;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = c.width / 10;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  c.addEventListener('pointerup', () => (down = false));
  return { clear };
}
