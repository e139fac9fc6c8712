// Training-pipeline throughput at 224×224 (resize 256, random resized crop, flip) on JPEG input,
// read from a TFDS directory this script writes into a temporary folder.
//   npx tsx bench/data.ts [--images 256] [--batches 12] [--width 400 --height 300] [--workers 0,1,2]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeExample } from '../src/io/example.ts';
import { encodeTFRecord } from '../src/io/tfrecord.ts';
import { encodeJpeg, encodePng } from '../src/data/image.ts';
import { openDataset } from '../src/data/open.ts';
import { Pipeline } from '../src/data/pipeline.ts';
import { Rng } from '../src/data/rng.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '256' },
    batches: { type: 'string', default: '12' },
    width: { type: 'string', default: '400' },
    height: { type: 'string', default: '300' },
    workers: { type: 'string', default: '0,1,2' },
    png32: { type: 'boolean' },
  },
});

/** A photo-like test image: smooth colour fields plus noise, so JPEG sizes are realistic. */
function photo(k: number, h: number, w: number): Uint8Array {
  const rng = new Rng(k);
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

async function writeData(dir: string, n: number, h: number, w: number, png: boolean): Promise<number> {
  const vdir = join(dir, 'bench', '1.0.0');
  mkdirSync(vdir, { recursive: true });
  const frames: Uint8Array[] = [];
  let bytes = 0;
  for (let k = 0; k < n; k++) {
    const p = { data: photo(k, h, w), height: h, width: w, channels: 3 };
    const enc = png ? await encodePng(p) : await encodeJpeg(p, 90);
    bytes += enc.length;
    frames.push(encodeTFRecord(encodeExample({ image: { kind: 'bytes', values: [enc] }, label: { kind: 'int64', values: [BigInt(k % 10)] } })));
  }
  writeFileSync(join(vdir, 'bench-train.tfrecord-00000-of-00001'), Buffer.concat(frames));
  const splits = [{ name: 'train', shardLengths: [String(n)] }];
  writeFileSync(join(vdir, 'dataset_info.json'), JSON.stringify({ name: 'bench', version: '1.0.0', splits }));
  writeFileSync(join(vdir, 'features.json'), JSON.stringify({ featuresDict: { features: { label: { classLabel: { numClasses: '10' } } } } }));
  return bytes / n;
}

const n = Number(values.images);
const batches = Number(values.batches);
const [h, w] = values.png32 ? [32, 32] : [Number(values.height), Number(values.width)];
const dir = mkdtempSync(join(tmpdir(), 'l2p-bench-'));
try {
  const avg = await writeData(dir, n, h, w, values.png32 ?? false);
  const ds = await openDataset('bench', { dataDir: dir });
  const source = await ds.source('train');
  console.log(`${n} ${values.png32 ? 'PNG' : 'JPEG'} images of ${w}×${h} (${(avg / 1024).toFixed(1)} KiB each); ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'})`);
  for (const workers of values.workers.split(',').map(Number)) {
    const p = new Pipeline(source, { batchSize: 16, train: true, seed: 1, workers, prefetch: 4 });
    await p.next(); // warm-up: worker start, first reads
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) await p.next();
    const s = (performance.now() - t0) / 1000;
    console.log(`workers=${workers}: ${((batches * 16) / s).toFixed(1)} images/s (${batches} batches of 16 at 224×224)`);
    await p.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
