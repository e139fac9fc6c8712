// The reduction of the frozen gradients of a data-parallel step under grad_clip_scope 'all', alone (no
// forward or backward pass: bench/data-parallel.ts times those), at a backbone's sizes (default
// ViT-B/16 at 224², 343 MB per micro-batch), for N worker processes holding one micro-batch each:
//   shm: each worker writes its frozen gradients into /dev/shm, then reduces its slice of chunks of
//        every worker's file (src/train/frozen-shm.ts), and sends back its chunk sums;
//   pipe (with --pipe): each worker sends its frozen gradient tensors to the host through Node's IPC
//        channel and the host adds them up, as the workers did before the shared memory.
// Per N, the medians over rounds (the first round not timed) of the step's wall time, of each phase's
// wall time and of the CPU time of its busiest worker (what a loaded machine distorts least). Prints the load average; on a loaded machine the figures say little.
//
//   npx tsx bench/frozen-reduce.ts [--model B/16] [--workers 2,4,8] [--rounds 5] [--pipe] [--json]
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addInOrder, chunkBounds, chunkSquares, meanInPlace, shareChunks } from '../src/train/frozen-norm.ts';
import { defaultShmRoot, layoutBounds, openShmDir, reduceSlice, writeFrozen, type FrozenLayout, type Slice } from '../src/train/frozen-shm.ts';
import { expectedShapes } from '../src/vit/layout.ts';
import { decodeVariant } from '../src/vit/variants.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'B/16' },
    image: { type: 'string', default: '224' },
    workers: { type: 'string', default: '2,4,8' },
    rounds: { type: 'string', default: '5' },
    pipe: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

/** The frozen tensors of an L2P step: the whole backbone but its head. */
function frozenLengths(): [string, number][] {
  const cfg = decodeVariant(values.model!);
  const patches = (Number(values.image) / cfg.patch) ** 2;
  return [...expectedShapes(cfg, patches)].filter(([k]) => !k.startsWith('head/')).map(([k, s]) => [k, s.reduce((p, d) => p * d, 1)]);
}

type Ask = { type: 'write'; file: string } | { type: 'reduce'; slice: Slice } | { type: 'pipe' };

if (values.child !== undefined) {
  // A worker: its micro-batch's frozen gradients, made once.
  const seed = Number(values.child);
  const grads = frozenLengths().map(([k, n], t) => [k, Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001 + t + seed) * 1e-3)] as const);
  process.on('message', (m: Ask) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    if (m.type === 'write') writeFrozen(m.file, grads);
    const squares = m.type === 'reduce' ? reduceSlice(m.slice) : [];
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    if (m.type === 'pipe') process.send!({ s, cpu, grads: new Map(grads) });
    else process.send!({ s, cpu, squares });
  });
  process.send!({ ready: true });
} else {
  await main();
}

async function main(): Promise<void> {
  const layout: FrozenLayout = frozenLengths();
  const bounds = layoutBounds(layout);
  const total = bounds[bounds.length - 1];
  const rounds = Number(values.rounds);
  const load = [loadavg()[0]];
  const rows: Record<string, unknown>[] = [];
  for (const n of values.workers!.split(',').map(Number)) {
    const procs = await Promise.all(Array.from({ length: n }, (_, k) => start(k)));
    const dir = openShmDir(defaultShmRoot());
    const files = procs.map((_, k) => join(dir, `micro-${k}.f32`));
    const shm = { step: [] as number[], write: [] as number[], reduce: [] as number[], writeCpu: [] as number[], reduceCpu: [] as number[] };
    const pipe: number[] = [];
    for (let r = 0; r <= rounds; r++) {
      const t0 = performance.now();
      const w = await Promise.all(procs.map((p, k) => ask(p, { type: 'write', file: files[k] })));
      const t1 = performance.now();
      const slices = shareChunks(bounds, n).map(([a, e]) => ({ files, writers: files.map((_, j) => j), total, bounds: bounds.slice(a, e + 1), micro: n }));
      const parts = await Promise.all(procs.map((p, k) => ask(p, { type: 'reduce', slice: slices[k] })));
      const sq = addInOrder(0, parts.flatMap((x) => x.squares as number[]));
      const t2 = performance.now();
      if (!Number.isFinite(sq)) throw new Error('the reduction gave no number');
      if (r > 0) {
        shm.step.push((t2 - t0) / 1000);
        shm.write.push(Math.max(...w.map((x) => x.s as number)));
        shm.reduce.push((t2 - t1) / 1000);
        shm.writeCpu.push(Math.max(...w.map((x) => x.cpu as number)));
        shm.reduceCpu.push(Math.max(...parts.map((x) => x.cpu as number)));
      }
      if (values.pipe) {
        // The pipe: every worker's tensors to the host, added here in order, then normed in the same chunks.
        const t3 = performance.now();
        const got = await Promise.all(procs.map((p) => ask(p, { type: 'pipe' })));
        const sums = new Map(layout.map(([k, len]) => [k, new Float32Array(len)] as const));
        for (const g of got) for (const [k, acc] of sums) { const x = (g.grads as Map<string, Float32Array>).get(k)!; for (let i = 0; i < acc.length; i++) acc[i] += x[i]; }
        let s = 0;
        for (const acc of sums.values()) { meanInPlace(acc, n); s = addInOrder(s, chunkSquares(acc, 0, chunkBounds([acc.length]))); }
        if (r > 0) pipe.push((performance.now() - t3) / 1000);
        if (s !== sq) throw new Error(`the pipe's norm ${s} is not the shared memory's ${sq}`);
      }
    }
    for (const p of procs) p.kill('SIGTERM');
    const { rmSync } = await import('node:fs');
    rmSync(dir, { recursive: true, force: true });
    rows.push({ workers: n, shm_s_per_step: median(shm.step), shm_write_s: median(shm.write), shm_reduce_s: median(shm.reduce), shm_write_cpu_s: median(shm.writeCpu), shm_reduce_cpu_s: median(shm.reduceCpu), ...(values.pipe ? { pipe_s_per_step: median(pipe) } : {}) });
  }
  load.push(loadavg()[0]);
  const out = { model: values.model, frozen_mb_per_micro_batch: +((total * 4) / 1e6).toFixed(1), rounds, load_average: load, rows };
  if (values.json) console.log(JSON.stringify(out));
  else {
    console.log(`${values.model}: ${out.frozen_mb_per_micro_batch} MB of frozen gradients per micro-batch, one per worker, ${rounds} rounds; load average ${load.map((x) => x.toFixed(1)).join(' → ')}`);
    console.log('| workers | shm s / step | slowest write s (CPU s) | reduce s (slowest worker\'s CPU s) |' + (values.pipe ? ' pipe s / step |' : ''));
    console.log('|---|---|---|---|' + (values.pipe ? '---|' : ''));
    for (const r of rows) console.log(`| ${r.workers} | ${f(r.shm_s_per_step)} | ${f(r.shm_write_s)} (${f(r.shm_write_cpu_s)}) | ${f(r.shm_reduce_s)} (${f(r.shm_reduce_cpu_s)}) |` + (values.pipe ? ` ${f(r.pipe_s_per_step)} |` : ''));
  }
}

function start(k: number): Promise<ChildProcess> {
  const p = fork(process.argv[1], ['--model', values.model!, '--image', values.image!, '--child', String(k)], { serialization: 'advanced' });
  return new Promise((resolve) => p.once('message', () => resolve(p)));
}

function ask(p: ChildProcess, m: Ask): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    p.once('message', (r: Record<string, unknown>) => resolve(r));
    p.send(m);
  });
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

function f(x: unknown): string {
  return (x as number).toFixed(3);
}
