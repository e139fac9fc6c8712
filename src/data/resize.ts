// tf.image.resize(image, [outH, outW]) with method='bilinear', antialias=False, as TensorFlow 2's
// ResizeBilinear kernel computes it with half_pixel_centers=True:
//   scale = in / out;  src = (dst + 0.5) * scale - 0.5
//   lower = max(floor(src), 0);  upper = min(ceil(src), in - 1);  lerp = src - floor(src)
//   top = tl + (tr - tl) * xlerp;  bottom = bl + (br - bl) * xlerp;  out = top + (bottom - top) * ylerp
// Every step is rounded to float32 (Math.fround) as the kernel works in float.

const f = Math.fround;

interface Axis {
  lower: Int32Array;
  upper: Int32Array;
  lerp: Float32Array;
}

function axis(inSize: number, outSize: number): Axis {
  const scale = f(inSize / outSize);
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = f(f(f(i + 0.5) * scale) - 0.5);
    const fl = Math.floor(src);
    lower[i] = Math.max(fl, 0);
    upper[i] = Math.min(Math.ceil(src), inSize - 1);
    lerp[i] = f(src - fl);
  }
  return { lower, upper, lerp };
}

/** Resizes an HWC image (uint8 or float values) to [outH, outW, c] float32. */
export function resizeBilinear(
  src: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  outH: number,
  outW: number,
  out = new Float32Array(outH * outW * c),
): Float32Array {
  const ys = axis(h, outH);
  const xs = axis(w, outW);
  const rowStride = w * c;
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const top = ys.lower[y] * rowStride;
    const bottom = ys.upper[y] * rowStride;
    const yl = ys.lerp[y];
    for (let x = 0; x < outW; x++) {
      const left = xs.lower[x] * c;
      const right = xs.upper[x] * c;
      const xl = xs.lerp[x];
      for (let k = 0; k < c; k++) {
        const tl = src[top + left + k];
        const tr = src[top + right + k];
        const bl = src[bottom + left + k];
        const br = src[bottom + right + k];
        const t = f(tl + f(f(tr - tl) * xl));
        const b = f(bl + f(f(br - bl) * xl));
        out[o++] = f(t + f(f(b - t) * yl));
      }
    }
  }
  return out;
}
