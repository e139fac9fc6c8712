// ViT backbone benchmark: (a) the frozen query forward, (b) the prompted forward with prompt tokens
// prepended plus the backward to the prompt tokens only. Random weights in the official layout.
//
//   npx tsx bench/vit.ts [--model B/16] [--batch 8] [--prompts 25] [--iters 3] [--threads 0] [--json]
import { parseArgs } from 'node:util';
import * as g from '../src/graph/index.ts';
import { compile, disposeAll } from '../src/runtime/ort.ts';
import { bindParams } from '../src/vit/bind.ts';
import { embed, encode, forwardFeatures } from '../src/vit/model.ts';
import { mulberry32 } from '../src/random.ts';
import { randomViT } from '../src/vit/random.ts';
import { decodeVariant } from '../src/vit/variants.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'B/16' },
    batch: { type: 'string', default: '8' },
    prompts: { type: 'string', default: '25' },
    image: { type: 'string', default: '224' },
    iters: { type: 'string', default: '3' },
    threads: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const cfg = decodeVariant(values.model!);
const b = Number(values.batch);
const np = Number(values.prompts);
const size = Number(values.image);
const iters = Number(values.iters);
const threads = Number(values.threads);
const numPatches = (size / cfg.patch) ** 2;
const log = (s: string) => !values.json && console.log(s);

const params = randomViT(cfg, numPatches, 1);
const { p } = bindParams(params, () => false);
const r = mulberry32(2);
const imageData = Float32Array.from({ length: b * size * size * 3 }, () => r());
const promptData = Float32Array.from({ length: b * np * cfg.hidden }, () => 0.01 * r());

// (a) query: the un-prompted forward to pre_logits.
const images = g.input('images', [b, size, size, 3]);
const query = forwardFeatures(p, cfg, images).preLogits;

// (b) prompted forward and the gradient toward the prompt tokens, through the frozen encoder.
const prompts = g.input('prompts', [b, np, cfg.hidden]);
const tokens = encode(p, cfg, g.concat([prompts, embed(p, cfg, images)], 1)); // [B, Np+1+N, D]
const pooled = g.mean(g.slice(tokens, 1, 0, np), 1); // [B, D]
const head = g.constant(Float32Array.from({ length: cfg.hidden * 10 }, () => r() - 0.5), [cfg.hidden, 10]);
const loss = g.mean(g.logSoftmax(g.matmul(pooled, head), -1), [0, 1]);
const [gPrompts] = g.grad(loss, [prompts]);

async function time(name: string, outputs: Record<string, g.Tensor>, feeds: Parameters<Awaited<ReturnType<typeof compile>>['run']>[0]) {
  const t0 = performance.now();
  const s = await compile(outputs, { threads });
  const compileS = (performance.now() - t0) / 1000;
  await s.run(feeds); // warm-up
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t = performance.now();
    await s.run(feeds);
    times.push((performance.now() - t) / 1000);
  }
  const best = Math.min(...times);
  const flops = g.matmulFlops(Object.values(outputs));
  const res = { s_per_img: best / b, gflops_per_s: flops / best / 1e9, gflop_per_img: flops / b / 1e9, compile_s: compileS };
  log(`${name}: ${res.s_per_img.toFixed(3)} s/img, ${res.gflops_per_s.toFixed(1)} GFLOP/s (matmul), ${res.gflop_per_img.toFixed(1)} GFLOP/img, compile ${compileS.toFixed(1)} s`);
  await s.dispose();
  return res;
}

log(`ViT-${values.model} at ${size}x${size}, batch ${b}, ${np} prompt tokens, threads ${threads || 'auto'}`);
const imgFeed = { images: { shape: [b, size, size, 3], data: imageData } };
const q = await time('query forward', { pre_logits: query }, imgFeed);
const t = await time('prompted forward + backward to prompts', { loss, grad: gPrompts }, { ...imgFeed, prompts: { shape: [b, np, cfg.hidden], data: promptData } });
await disposeAll();
const result = {
  model: values.model,
  batch: b,
  prompts: np,
  image: size,
  threads,
  query: q,
  prompted_train: t,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
};
if (values.json) console.log(JSON.stringify(result));
else log(`peak RSS ${result.peak_rss_mb.toFixed(0)} MB`);
