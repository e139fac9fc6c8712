// Input-pipeline throughput on DomainNet-shaped JPEGs: the training path (read the file, decode,
// resize 256, random resized crop, flip, scale to [0, 1], batch of 16 at 224²) through the pool.
//   npx tsx bench/domainnet-pipeline.ts [--images 192] [--batches 12] [--workers 1] [--data-dir DIR --domains real,quickdraw]
// Without --data-dir it writes DomainNet's folder layout into a temporary folder with the size mix
// below (assumed: no copy of DomainNet was at hand to measure its sizes); with it, it reads the given
// domains of a real copy. Prints one JSON line per pool size: wall images/s, images per CPU-second
// of the whole process (main thread and workers; the steadier figure on a loaded machine), and the
// main thread's busy share of the wall time and busy milliseconds per image (performance.eventLoopUtilization).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { encodeJpeg } from '../src/data/image.ts';
import { openDataset } from '../src/data/open.ts';
import { Pipeline } from '../src/data/pipeline.ts';
import { Rng } from '../src/data/rng.ts';
import { concat } from '../src/data/source.ts';

/**
 * The assumed mix, weighted by DomainNet's training-split sizes (quickdraw 120,750, real 120,906,
 * painting 50,416, sketch 48,212, infograph 36,023, clipart 33,525 of 409,832). quickdraw: strokes
 * rendered on a 256² square; sketch: drawings on white at web sizes; infograph: tall posters; real,
 * painting, clipart: web pictures, longer side 300 to 800 px, landscape, square and portrait.
 * [width, height] pairs are taken in turn within a domain.
 */
const MIX: { domain: string; share: number; drawing: boolean; sizes: [number, number][] }[] = [
  { domain: 'quickdraw', share: 120750, drawing: true, sizes: [[256, 256]] },
  { domain: 'real', share: 120906, drawing: false, sizes: [[500, 375], [640, 480], [800, 600], [600, 600], [375, 500], [300, 225]] },
  { domain: 'painting', share: 50416, drawing: false, sizes: [[640, 480], [600, 800], [500, 500], [800, 533]] },
  { domain: 'sketch', share: 48212, drawing: true, sizes: [[400, 400], [600, 450], [450, 600], [800, 800]] },
  { domain: 'infograph', share: 36023, drawing: false, sizes: [[600, 1200], [800, 1600], [1000, 1400]] },
  { domain: 'clipart', share: 33525, drawing: false, sizes: [[300, 300], [400, 300], [500, 500], [600, 400]] },
];

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '192' },
    batches: { type: 'string', default: '12' },
    workers: { type: 'string', default: '1' },
    'data-dir': { type: 'string' },
    domains: { type: 'string', default: MIX.map((m) => m.domain).join(',') },
  },
});

/** Smooth colour fields plus noise, so JPEG sizes are photo-like. */
function photo(rng: Rng, h: number, w: number): Uint8Array {
  const data = new Uint8Array(h * w * 3);
  const [a, b, c] = [rng.float() * 6, rng.float() * 6, rng.float() * 6];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = 128 + 100 * Math.sin(a + x / 37 + y / 53) + rng.int(20);
      data[i + 1] = 128 + 100 * Math.sin(b + x / 23 - y / 41) + rng.int(20);
      data[i + 2] = 128 + 100 * Math.cos(c + (x + y) / 61) + rng.int(20);
    }
  }
  return data;
}

/** Dark strokes on white, as quickdraw's renders and most sketches. */
function drawing(rng: Rng, h: number, w: number): Uint8Array {
  const data = new Uint8Array(h * w * 3).fill(255);
  for (let s = 0; s < 12; s++) {
    const [x0, y0, x1, y1] = [rng.int(w), rng.int(h), rng.int(w), rng.int(h)];
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let t = 0; t <= steps; t++) {
      const x = Math.round(x0 + ((x1 - x0) * t) / steps);
      const y = Math.round(y0 + ((y1 - y0) * t) / steps);
      for (let dy = 0; dy < 3 && y + dy < h; dy++) for (let dx = 0; dx < 3 && x + dx < w; dx++) data.fill(20, ((y + dy) * w + x + dx) * 3, ((y + dy) * w + x + dx) * 3 + 3);
    }
  }
  return data;
}

/** DomainNet's layout (<domain>/<class>/<file>.jpg and <domain>_train.txt) with `n` images in the mix. */
async function writeMix(root: string, n: number): Promise<{ bytes: number; counts: Record<string, number> }> {
  const total = MIX.reduce((s, m) => s + m.share, 0);
  const rng = new Rng(1);
  let bytes = 0;
  const counts: Record<string, number> = {};
  for (const m of MIX) {
    const count = Math.max(1, Math.round((n * m.share) / total));
    counts[m.domain] = count;
    mkdirSync(join(root, m.domain, 'c'), { recursive: true });
    const lines: string[] = [];
    for (let k = 0; k < count; k++) {
      const [w, h] = m.sizes[k % m.sizes.length];
      const jpeg = await encodeJpeg({ data: m.drawing ? drawing(rng, h, w) : photo(rng, h, w), height: h, width: w, channels: 3 }, 90);
      bytes += jpeg.length;
      writeFileSync(join(root, m.domain, 'c', `${k}.jpg`), jpeg);
      lines.push(`${m.domain}/c/${k}.jpg ${k % 345}`);
    }
    writeFileSync(join(root, `${m.domain}_train.txt`), lines.join('\n') + '\n');
    writeFileSync(join(root, `${m.domain}_test.txt`), lines[0] + '\n');
  }
  return { bytes, counts };
}

const batches = Number(values.batches);
const tmp = values['data-dir'] ? null : mkdtempSync(join(tmpdir(), 'l2p-dn-bench-'));
try {
  const root = values['data-dir'] ?? tmp!;
  const written = tmp ? await writeMix(tmp, Number(values.images)) : null;
  const domains = tmp ? MIX.map((m) => m.domain) : values.domains.split(',');
  const parts = await Promise.all(domains.map(async (d) => (await openDataset(`domainnet/${d}`, { dataDir: root, format: 'native' })).source('train')));
  const source = concat(parts, 'domainnet train');
  const what = written ? { images: source.length, mean_jpeg_kib: +(written.bytes / source.length / 1024).toFixed(1), per_domain: written.counts, sizes: 'assumed mix (bench/domainnet-pipeline.ts)' } : { images: source.length, data_dir: root, domains };
  console.log(JSON.stringify({ data: what, cores: availableParallelism(), cpu: cpus()[0]?.model ?? '?', loadavg_1m: +loadavg()[0].toFixed(2) }));
  for (const workers of values.workers.split(',').map(Number)) {
    const p = new Pipeline(source, { batchSize: 16, train: true, seed: 1, workers });
    await p.next(); // warm-up: the workers start, the first files are read
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) await p.next();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    await p.close();
    const images = batches * 16;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(JSON.stringify({ workers, images, wall_s: +wall.toFixed(2), images_per_s: +(images / wall).toFixed(1), cpu_s: +cpuS.toFixed(2), images_per_cpu_s: +(images / cpuS).toFixed(1), main_thread_busy: +elu.utilization.toFixed(3), main_thread_ms_per_image: +(elu.active / images).toFixed(3), loadavg_1m: +loadavg()[0].toFixed(2) }));
  }
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
