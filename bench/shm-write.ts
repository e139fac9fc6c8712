// The data-parallel host's share of a step's input: each micro-batch's images written into its file
// in the pool's shared-memory folder (src/train/parallel.ts). Two ways, timed in alternation (so a
// change of the machine's load reaches both alike; one untimed round first), each overwriting the
// files in place as a pool's steps after its first do: one file after another on the main thread
// (writeFloats, as the host did), and every file at once in pieces on libuv's thread pool
// (writeFloatsAsync, as it does). For each: the main thread's CPU time (Linux's schedstat of the main
// thread alone: the event loop's active time would count the waits of a thread that the writing
// threads pushed off a loaded core) and the wall time until every file is written, medians over the rounds, and their ratios side by side. The files are
// compared byte for byte with the images after each round. Prints the load average.
//
//   npx tsx bench/shm-write.ts [--micro 8] [--batch 16] [--image 224] [--rounds 20] [--json]
//
// Defaults: a step of ViT-B/16's official DomainNet run, 8 micro-batches of 16 at 224² (77 MB).
// UV_THREADPOOL_SIZE (default 4) sets how many threads write at once.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultShmRoot, openShmDir, writeFloats, writeFloatsAsync } from '../src/train/frozen-shm.ts';

const { values } = parseArgs({
  options: {
    micro: { type: 'string', default: '8' },
    batch: { type: 'string', default: '16' },
    image: { type: 'string', default: '224' },
    rounds: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const [micro, per, size, rounds] = [values.micro, values.batch, values.image, values.rounds].map(Number);
// One step's images, cut into its micro-batches as the learner cuts them (views of one buffer).
const px = size * size * 3;
const images = Float32Array.from({ length: micro * per * px }, (_, i) => Math.sin(i * 0.013) * 0.5);
const batches = Array.from({ length: micro }, (_, j) => images.subarray(j * per * px, (j + 1) * per * px));
const dir = openShmDir(defaultShmRoot());
const files = batches.map((_, j) => join(dir, `images-${j}.f32`));

interface Way {
  name: string;
  write: () => Promise<void>;
  cpu: number[];
  wall: number[];
}

const ways: Way[] = [
  {
    name: 'one after another, main thread',
    write: async () => batches.forEach((b, j) => writeFloats(files[j], [b], `micro-batch ${j}'s images`)),
    cpu: [],
    wall: [],
  },
  {
    name: "all at once, libuv's threads",
    write: () => Promise.all(batches.map((b, j) => writeFloatsAsync(files[j], [b], `micro-batch ${j}'s images`))).then(() => {}),
    cpu: [],
    wall: [],
  },
];

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
if (!existsSync(SCHEDSTAT)) throw new Error(`${SCHEDSTAT}: absent; the main thread's CPU time needs Linux with schedstats`);
/**
 * The main thread's CPU time so far, ms. The kernel adds a running thread's time up at ticks and
 * switches, so the thread first sleeps a moment: what it reads is then current to microseconds.
 */
async function mainCpu(): Promise<number> {
  await new Promise((r) => setTimeout(r, 3));
  return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6;
}

function check(): void {
  for (const [j, b] of batches.entries()) {
    if (!readFileSync(files[j]).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) throw new Error(`${files[j]}: not micro-batch ${j}'s images`);
  }
}

const load = [loadavg()[0]];
try {
  for (const w of ways) await w.write();
  for (let r = 0; r < rounds; r++) {
    for (const w of ways) {
      const c0 = await mainCpu();
      const t0 = performance.now();
      await w.write();
      w.wall.push(performance.now() - t0);
      w.cpu.push((await mainCpu()) - c0);
      check();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
load.push(loadavg()[0]);

const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
const [sync, both] = ways;
const mb = (images.length * 4) / 1e6;
if (values.json) {
  console.log(
    JSON.stringify({
      micro_batches: micro,
      batch_per_micro: per,
      image: size,
      mb_per_step: mb,
      rounds,
      load_average: load,
      ...Object.fromEntries(ways.flatMap((w, i) => [[`${['sync', 'async'][i]}_main_cpu_ms`, median(w.cpu)], [`${['sync', 'async'][i]}_wall_ms`, median(w.wall)]])),
      main_cpu_ratio: median(both.cpu) / median(sync.cpu),
      wall_ratio: median(both.wall) / median(sync.wall),
    }),
  );
} else {
  console.log(`${micro} micro-batches of ${per} at ${size}² (${mb.toFixed(1)} MB per step), ${rounds} rounds, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 4}; load average ${load.map((x) => x.toFixed(1)).join(' → ')}`);
  console.log('| way | main thread CPU, median ms / step | wall, median ms / step |');
  console.log('|---|---|---|');
  for (const w of ways) console.log(`| ${w.name} | ${median(w.cpu).toFixed(1)} | ${median(w.wall).toFixed(1)} |`);
  console.log(`| ratio (all at once / one after another) | ${(median(both.cpu) / median(sync.cpu)).toFixed(2)} | ${(median(both.wall) / median(sync.wall)).toFixed(2)} |`);
}
