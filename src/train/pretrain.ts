// Supervised pretraining of a small ViT, every weight trained through the same autodiff as L2P's
// prompts: images -> class token -> head -> cross-entropy. The result is saved in the official
// checkpoint layout, so every other command loads it as it loads ViT-B_16.npz.
import * as g from '../graph/index.ts';
import { compile, type HostTensor, type RuntimeOptions } from '../runtime/ort.ts';
import { bindParams } from '../vit/bind.ts';
import { forwardFeatures } from '../vit/model.ts';
import type { Params } from '../vit/params.ts';
import type { ViTConfig } from '../vit/variants.ts';
import { adamInit, adamStep, clipByGlobalNorm, type AdamState, type Tensors } from './optim.ts';

/** Batches of single-channel images [B, H, W] in [0, 1] with integer labels. */
export interface GrayBatch {
  images: Float32Array;
  labels: Int32Array;
}

export interface PretrainSpec {
  vit: ViTConfig;
  imageSize: number;
  numClasses: number;
  batch: number;
  weightDecay: number;
  clip: number | null;
}

/** Logits [B, C] of single-channel images, every parameter a fed input (they all train). */
function classifier(params: Params, s: PretrainSpec) {
  const { p, trained } = bindParams(params, () => true);
  const gray = g.input('images', [s.batch, s.imageSize, s.imageSize, 1]);
  // Grayscale to RGB by replication, as the official pipeline does for MNIST-like data.
  const rgb = g.expand(gray, [s.batch, s.imageSize, s.imageSize, 3]);
  const { preLogits } = forwardFeatures(p, s.vit, rgb); // [B, D]
  return { logits: g.dense(preLogits, p('head/kernel'), p('head/bias')), trained }; // [B, C]
}

/** The training graph: loss, logits and the gradient of every parameter. */
export function pretrainGraph(params: Params, s: PretrainSpec) {
  const { logits, trained } = classifier(params, s);
  const ce = g.maskedCrossEntropy(logits, g.input('labels', [s.batch], 'int32'), null);
  const grads = g.grad(ce, trained);
  const outputs: Record<string, g.Tensor> = { loss: ce, logits };
  trained.forEach((t, i) => (outputs[`grad/${t.label}`] = grads[i]));
  return { outputs, trained };
}

type Session = Awaited<ReturnType<typeof compile>>;

export class Pretrainer {
  opt: { kind: 'adam'; state: AdamState };
  private train: Promise<{ session: Session; trained: g.Tensor[] }> | null = null;
  private evaluate: Promise<Session> | null = null;

  constructor(
    readonly params: Params,
    readonly spec: PretrainSpec,
    private readonly runtime: RuntimeOptions = {},
  ) {
    this.opt = { kind: 'adam', state: adamInit(this.tensors()) };
  }

  tensors(): Tensors {
    return new Map([...this.params].map(([k, v]) => [k, v.data] as const));
  }

  private feeds(b: GrayBatch, withLabels: boolean): Record<string, HostTensor> {
    const s = this.spec;
    const feeds: Record<string, HostTensor> = { images: { shape: [s.batch, s.imageSize, s.imageSize, 1], data: b.images } };
    if (withLabels) feeds.labels = { shape: [s.batch], data: b.labels };
    for (const [k, v] of this.params) feeds[k] = { shape: v.shape, data: v.data };
    return feeds;
  }

  /** One AdamW step (decoupled weight decay on matrices); returns the loss and the batch accuracy. */
  async step(b: GrayBatch, lr: number): Promise<{ loss: number; correct: number }> {
    this.train ??= (async () => {
      const graph = pretrainGraph(this.params, this.spec);
      return { session: await compile(graph.outputs, this.runtime), trained: graph.trained };
    })();
    const { session, trained } = await this.train;
    const r = await session.run(this.feeds(b, true));
    const grads: Tensors = new Map(trained.map((t) => [t.label!, r[`grad/${t.label}`].data as Float32Array] as const));
    clipByGlobalNorm(grads, this.spec.clip);
    adamStep(this.tensors(), grads, this.opt.state, lr, { beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    for (const v of this.params.values()) {
      if (this.spec.weightDecay === 0 || v.shape.length < 2) continue;
      for (let i = 0; i < v.data.length; i++) v.data[i] -= lr * this.spec.weightDecay * v.data[i];
    }
    return { loss: (r.loss.data as Float32Array)[0], correct: countCorrect(r.logits.data as Float32Array, b.labels, this.spec.numClasses) };
  }

  /** Correct predictions on a batch, without training. */
  async correct(b: GrayBatch): Promise<number> {
    this.evaluate ??= compile({ logits: classifier(this.params, this.spec).logits }, this.runtime);
    const r = await (await this.evaluate).run(this.feeds(b, false));
    return countCorrect(r.logits.data as Float32Array, b.labels, this.spec.numClasses);
  }
}

function countCorrect(logits: Float32Array, labels: Int32Array, c: number): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (logits[i * c + k] > logits[i * c + best]) best = k;
    if (best === labels[i]) n++;
  }
  return n;
}
