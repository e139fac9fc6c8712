// A small outline rasteriser: Bézier paths are flattened to polygons, polygons are filled by the
// nonzero winding rule at the centre of every subpixel, and coverage is the share of a pixel's
// subpixels that are inside (supersampling). Overlapping contours, which many TrueType fonts
// have, are filled once, as the nonzero rule says; signed-area accumulation would count them twice.

/** One path command, as font outlines (and opentype.js) spell them. */
export type PathCommand =
  | { type: 'M' | 'L'; x: number; y: number }
  | { type: 'Q'; x1: number; y1: number; x: number; y: number }
  | { type: 'C'; x1: number; y1: number; x2: number; y2: number; x: number; y: number }
  | { type: 'Z' };

/** A closed polygon as [x0, y0, x1, y1, ...]; the last point joins the first. */
export type Contour = Float64Array;

/**
 * Flattens a path into closed polygons whose distance from the curves is at most `tolerance`.
 * A degree-d Bézier split into n equal parameter steps deviates from its chords by at most
 * d(d-1)/8 · max|P[i] - 2P[i+1] + P[i+2]| / n² (Wang's formula), which sets n per curve.
 */
export function flatten(commands: readonly PathCommand[], tolerance: number): Contour[] {
  const contours: Contour[] = [];
  let pts: number[] = [];
  let x = 0;
  let y = 0;
  const close = () => {
    if (pts.length >= 6) contours.push(Float64Array.from(pts));
    pts = [];
  };
  const steps = (degree: number, d2: number) =>
    Math.min(64, Math.max(1, Math.ceil(Math.sqrt((degree * (degree - 1) * d2) / (8 * tolerance)))));
  for (const c of commands) {
    switch (c.type) {
      case 'M':
        close();
        pts.push(c.x, c.y);
        break;
      case 'L':
        pts.push(c.x, c.y);
        break;
      case 'Q': {
        const n = steps(2, Math.hypot(x - 2 * c.x1 + c.x, y - 2 * c.y1 + c.y));
        for (let k = 1; k <= n; k++) {
          const t = k / n;
          const u = 1 - t;
          pts.push(u * u * x + 2 * u * t * c.x1 + t * t * c.x, u * u * y + 2 * u * t * c.y1 + t * t * c.y);
        }
        break;
      }
      case 'C': {
        const d2 = Math.max(
          Math.hypot(x - 2 * c.x1 + c.x2, y - 2 * c.y1 + c.y2),
          Math.hypot(c.x1 - 2 * c.x2 + c.x, c.y1 - 2 * c.y2 + c.y),
        );
        const n = steps(3, d2);
        for (let k = 1; k <= n; k++) {
          const t = k / n;
          const u = 1 - t;
          const a = u * u * u;
          const b = 3 * u * u * t;
          const d = 3 * u * t * t;
          const e = t * t * t;
          pts.push(a * x + b * c.x1 + d * c.x2 + e * c.x, a * y + b * c.y1 + d * c.y2 + e * c.y);
        }
        break;
      }
      case 'Z':
        close();
        continue;
    }
    x = pts[pts.length - 2];
    y = pts[pts.length - 1];
  }
  close();
  return contours;
}

/**
 * Fills polygons (in subpixel units, y down) by the nonzero rule into a [h, w] mask: subpixel
 * (i, j) is 1 when its centre (j + 0.5, i + 0.5) has a nonzero winding number. Each edge counts
 * on the rows whose centre lies in [ymin, ymax), so a vertex shared by two edges counts once.
 */
export function fillNonzero(contours: readonly Contour[], w: number, h: number): Uint8Array {
  const mask = new Uint8Array(w * h);
  // Two passes over the edges: count the crossings per row, then store them row by row.
  const start = new Int32Array(h + 1);
  forEachCrossing(contours, h, (row) => start[row + 1]++);
  for (let i = 0; i < h; i++) start[i + 1] += start[i];
  const xs = new Float64Array(start[h]);
  const dirs = new Int8Array(start[h]);
  const fill = start.slice(0, h);
  forEachCrossing(contours, h, (row, x, dir) => {
    xs[fill[row]] = x;
    dirs[fill[row]++] = dir;
  });
  for (let i = 0; i < h; i++) {
    const a = start[i];
    const b = start[i + 1];
    // Rows cross a glyph a handful of times, so insertion sort is the fast one here.
    for (let k = a + 1; k < b; k++) {
      const x = xs[k];
      const d = dirs[k];
      let m = k - 1;
      for (; m >= a && xs[m] > x; m--) {
        xs[m + 1] = xs[m];
        dirs[m + 1] = dirs[m];
      }
      xs[m + 1] = x;
      dirs[m + 1] = d;
    }
    let winding = 0;
    let spanStart = 0;
    for (let k = a; k < b; k++) {
      const before = winding;
      winding += dirs[k];
      if (before === 0 && winding !== 0) spanStart = xs[k];
      else if (before !== 0 && winding === 0) {
        const j0 = Math.min(w, Math.max(0, Math.ceil(spanStart - 0.5)));
        const j1 = Math.min(w, Math.ceil(xs[k] - 0.5));
        mask.fill(1, i * w + j0, i * w + Math.max(j0, j1));
      }
    }
  }
  return mask;
}

function forEachCrossing(contours: readonly Contour[], h: number, visit: (row: number, x: number, dir: number) => void): void {
  for (const p of contours) {
    const n = p.length / 2;
    for (let k = 0; k < n; k++) {
      const x0 = p[2 * k];
      const y0 = p[2 * k + 1];
      const k1 = k + 1 === n ? 0 : k + 1;
      const x1 = p[2 * k1];
      const y1 = p[2 * k1 + 1];
      if (y0 === y1) continue;
      const dir = y1 > y0 ? 1 : -1;
      const r0 = Math.max(0, Math.ceil(Math.min(y0, y1) - 0.5));
      const r1 = Math.min(h, Math.ceil(Math.max(y0, y1) - 0.5));
      const slope = (x1 - x0) / (y1 - y0);
      for (let r = r0; r < r1; r++) visit(r, x0 + (r + 0.5 - y0) * slope, dir);
    }
  }
}

/**
 * Binary dilation of a [h, w] mask by a disc of `radius` subpixels: a subpixel is set when a set
 * subpixel's centre lies within the radius. Row dy of the disc is a horizontal run of half-width
 * floor(sqrt(r² - dy²)), tested in O(1) with the running counts of each row.
 */
export function dilate(mask: Uint8Array, w: number, h: number, radius: number): Uint8Array {
  const R = Math.floor(radius);
  if (R < 1) return mask;
  const counts = new Int32Array(h * (w + 1)); // [h, w + 1]: set subpixels left of column j
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) counts[i * (w + 1) + j + 1] = counts[i * (w + 1) + j] + mask[i * w + j];
  }
  const out = new Uint8Array(w * h);
  for (let dy = -R; dy <= R; dy++) {
    const half = Math.floor(Math.sqrt(radius * radius - dy * dy));
    for (let i = Math.max(0, -dy); i < Math.min(h, h - dy); i++) {
      const row = (i + dy) * (w + 1);
      if (counts[row + w] === 0) continue;
      for (let j = 0; j < w; j++) {
        const lo = Math.max(0, j - half);
        const hi = Math.min(w, j + half + 1);
        if (counts[row + hi] > counts[row + lo]) out[i * w + j] = 1;
      }
    }
  }
  return out;
}

/** Averages ss×ss blocks of a [h, w] mask into [h/ss, w/ss] coverage in [0, 1]. */
export function downsample(mask: Uint8Array, w: number, h: number, ss: number): Float32Array {
  const W = w / ss;
  const H = h / ss;
  if (!Number.isInteger(W) || !Number.isInteger(H)) throw new RangeError(`${w}×${h} is not a multiple of ${ss}`);
  const sums = new Uint16Array(W * H);
  for (let i = 0; i < h; i++) {
    const I = ((i / ss) | 0) * W;
    for (let j = 0; j < w; j++) sums[I + ((j / ss) | 0)] += mask[i * w + j];
  }
  const out = new Float32Array(W * H);
  for (let k = 0; k < out.length; k++) out[k] = sums[k] / (ss * ss);
  return out;
}

/** Coverage of polygons given in pixel units: fill at `ss`×`ss` subpixels per pixel, then average. */
export function rasterize(contours: readonly Contour[], w: number, h: number, ss = 4): Float32Array {
  const scaled = contours.map((c) => c.map((v) => v * ss));
  return downsample(fillNonzero(scaled, w * ss, h * ss), w * ss, h * ss, ss);
}
