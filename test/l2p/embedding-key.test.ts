// prompt_pool_param.embedding_key: the query as official models/prompt.py computes it, against a
// plain-loop computation of the patch embeddings.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { buildTrainStep } from '../../src/methods/l2p/step.ts';
import { compile, disposeAll, type HostTensor } from '../../src/runtime/ort.ts';
import { createLearner, modelOptions } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

after(disposeAll);

const B = 2;
const S = 32;

async function query(key: 'cls' | 'mean' | 'max' | 'mean_max') {
  const base = getPreset('cifar100_l2p_smoke');
  const c = { ...base, prompt_pool_param: { ...base.prompt_pool_param, embedding_key: key } };
  const cfg = decodeVariant(c.model_name);
  const learner = createLearner(c, { config: cfg, numPatches: (S / cfg.patch) ** 2, params: randomViT(cfg, (S / cfg.patch) ** 2, 3) }, 4);
  const step = buildTrainStep(learner.params, {
    model: modelOptions(c, cfg, 4), batch: B, imageSize: [S, S], selection: 'per_instance', trainMask: false, pull: 1,
    isTrained: (k) => k.startsWith('prompt_pool/') || k.startsWith('head/') || k.startsWith('embedding/'),
  });
  const images = Float32Array.from({ length: B * S * S * 3 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const feeds: Record<string, HostTensor> = { images: { shape: [B, S, S, 3], data: images }, labels: { shape: [B], data: Int32Array.of(0, 1) } };
  for (const t of step.trained) feeds[t.label!] = { shape: t.shape, data: learner.params.get(t.label!)!.data };
  const r = await (await compile(step.outputs)).run(feeds);
  return { learner, cfg, images, q: r.pre_logits.data as Float32Array, sim: r.sim.data as Float32Array, gradEmbedding: r['grad/embedding/kernel'].data as Float32Array };
}

/** The patch embeddings [B][N][D] by plain loops over the HWIO kernel. */
function patchEmbeddings(images: Float32Array, kernel: Float32Array, bias: Float32Array, P: number, D: number): number[][][] {
  const g = S / P;
  const out: number[][][] = [];
  for (let b = 0; b < B; b++) {
    const rows: number[][] = [];
    for (let pi = 0; pi < g; pi++) {
      for (let pj = 0; pj < g; pj++) {
        const e = Array.from(bias, Number);
        for (let r = 0; r < P; r++) for (let c = 0; c < P; c++) for (let ch = 0; ch < 3; ch++) {
          const x = images[((b * S + pi * P + r) * S + pj * P + c) * 3 + ch];
          for (let d = 0; d < D; d++) e[d] += x * kernel[((r * P + c) * 3 + ch) * D + d];
        }
        rows.push(e);
      }
    }
    out.push(rows);
  }
  return out;
}

for (const key of ['mean', 'max', 'mean_max'] as const) {
  test(`embedding_key '${key}': the query pools the patch embeddings (before class token and position embedding) and selects by its cosine with the keys`, async () => {
    const { learner, cfg, images, q, sim } = await query(key);
    const D = cfg.hidden;
    const e = patchEmbeddings(images, learner.params.get('embedding/kernel')!.data, learner.params.get('embedding/bias')!.data, cfg.patch, D);
    const keys = learner.params.get('prompt_pool/key')!.data;
    const M = keys.length / D;
    for (let b = 0; b < B; b++) {
      const want = Array.from({ length: D }, (_, d) => {
        const col = e[b].map((row) => row[d]);
        const mean = col.reduce((a, v) => a + v, 0) / col.length;
        const max = Math.max(...col);
        return key === 'mean' ? mean : key === 'max' ? max : max + 2 * mean;
      });
      for (let d = 0; d < D; d++) assert.ok(Math.abs(q[b * D + d] - want[d]) < 1e-4 * Math.max(1, Math.abs(want[d])), `query[${b}][${d}] ${q[b * D + d]} vs ${want[d]}`);
      const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0));
      for (let m = 0; m < M; m++) {
        const k = keys.subarray(m * D, (m + 1) * D);
        const cos = want.reduce((a, x, d) => a + x * k[d], 0) / (norm(want) * norm(k));
        assert.ok(Math.abs(sim[b * M + m] - cos) < 1e-4, `sim[${b}][${m}]`);
      }
    }
  });
}

test("the pooled query carries gradients into the patch embedding (official); the 'cls' query does not", async () => {
  // The head starts at zero, so the cross-entropy sends no gradient into the network: what reaches
  // embedding/kernel comes from the pull term through the query alone.
  const cls = await query('cls');
  const mean = await query('mean');
  assert.ok(cls.learner.params.get('head/kernel')!.data.every((v) => v === 0));
  assert.ok(cls.gradEmbedding.every((v) => v === 0), "'cls': the query is the stopped frozen ViT's");
  assert.ok(mean.gradEmbedding.some((v) => Math.abs(v) > 1e-7), "'mean': the pull term reaches the patch embedding");
});
