// `l2p pretrain`: supervised pretraining of a small ViT on a glyph corpus rendered from installed
// fonts, saved in the official checkpoint layout (see docs/pretrain.md).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { discoverFonts, glyphCorpus, CLASS_COUNT, type GlyphFont } from '../glyphs/index.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { disposeAll } from '../runtime/ort.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.ts';
import { Pretrainer, type GrayBatch } from '../train/pretrain.ts';
import { Progress } from '../train/progress.ts';
import { learningRate } from '../train/schedule.ts';
import { saveViT, type Params } from '../vit/params.ts';
import { randomViT } from '../vit/random.ts';
import { decodeVariant } from '../vit/variants.ts';
import { intArg, numberArg, optionalInt } from './args.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';

const HELP = `usage: l2p pretrain --dataset glyphs --out <backbone.npz> [--workdir DIR] [--resume]
                    [--model nano/4] [--images 60000] [--epochs 4] [--batch 128] [--lr 0.002]
                    [--warmup 0.5] [--weight-decay 0.05] [--seed 0] [--font-dir DIR ...] [--threads N]
                    [--device cpu|webgpu]

Trains every weight of a small ViT to classify the 62 characters 0-9, A-Z, a-z rendered from the
font files under --font-dir (default /usr/share/fonts), with fresh augmentations every epoch, and
writes it in the official ViT npz layout (with its head as head/*). --workdir keeps checkpoints so
that --resume continues a killed run.
${DEVICE_HELP}`;

interface PretrainState {
  epoch: number;
  step: number;
  globalStep: number;
  elapsed: number;
}


export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string', default: 'glyphs' },
      out: { type: 'string' },
      workdir: { type: 'string' },
      resume: { type: 'boolean', default: false },
      model: { type: 'string', default: 'nano/4' },
      images: { type: 'string', default: '60000' },
      epochs: { type: 'string', default: '4' },
      batch: { type: 'string', default: '128' },
      lr: { type: 'string', default: '0.002' },
      warmup: { type: 'string', default: '0.5' },
      'weight-decay': { type: 'string', default: '0.05' },
      seed: { type: 'string', default: '0' },
      'font-dir': { type: 'string', multiple: true },
      threads: { type: 'string' },
      device: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.dataset !== 'glyphs') throw new UserError(`--dataset must be 'glyphs' (the corpus rendered from installed fonts), got '${values.dataset}'`);
  if (!values.out) throw new UserError(`--out is required\n\n${HELP}`);
  const vit = decodeVariant(values.model!);
  const size = 28;
  if (size % vit.patch !== 0) throw new UserError(`${values.model}: patch ${vit.patch} does not divide the 28-pixel glyph images`);
  const perEpoch = intArg(values.images!, '--images');
  const epochs = intArg(values.epochs!, '--epochs');
  const batch = intArg(values.batch!, '--batch');
  const seed = intArg(values.seed!, '--seed', { min: 0 });
  const workdir = values.workdir ?? join(dirname(values.out), '.pretrain-' + (values.out.split('/').pop() ?? 'run'));
  const threads = optionalInt(values.threads, '--threads');
  const device = deviceOption(values.device);

  const found = discoverFonts(values['font-dir']);
  if (found.accepted.length === 0) throw new UserError(`no usable font under ${(values['font-dir'] ?? ['/usr/share/fonts']).join(', ')} (see docs/glyphs.md for the font packages)`);
  console.error(`${found.accepted.length} fonts usable, ${found.rejected.length} files rejected`);
  const fonts: GlyphFont[] = found.accepted;

  const grid = size / vit.patch;
  const params: Params = randomViT(vit, grid * grid, seed);
  params.set('head/kernel', { shape: [vit.hidden, CLASS_COUNT], data: new Float32Array(vit.hidden * CLASS_COUNT) });
  params.set('head/bias', { shape: [CLASS_COUNT], data: new Float32Array(CLASS_COUNT) });
  const trainer = new Pretrainer(params, { vit, imageSize: size, numClasses: CLASS_COUNT, batch, weightDecay: numberArg(values['weight-decay']!, '--weight-decay'), clip: 1 }, { threads, device });
  const stepsPerEpoch = Math.floor(perEpoch / batch);
  const schedule = { kind: 'cosine' as const, baseLr: numberArg(values.lr!, '--lr'), stepsPerEpoch, numEpochs: epochs, warmupEpochs: numberArg(values.warmup!, '--warmup'), minLr: 0 };
  let state: PretrainState = { epoch: 0, step: 0, globalStep: 0, elapsed: 0 };
  const paths = [...params.keys()];
  if (values.resume && hasCheckpoint(workdir)) {
    state = loadCheckpoint<PretrainState>(workdir, params, paths, trainer.opt);
    console.error(`resuming at epoch ${state.epoch}, step ${state.step}`);
  } else if (hasCheckpoint(workdir)) {
    throw new UserError(`'${workdir}' holds a pretraining run; pass --resume to continue it, or choose another --workdir`);
  }
  mkdirSync(workdir, { recursive: true });

  const batchOf = (corpusSeed: number, start: number): GrayBatch => {
    const c = glyphCorpus({ fonts, count: batch, seed: corpusSeed, start, size });
    return { images: c.images, labels: c.labels };
  };
  const progress = new Progress({ write: (s) => process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) });
  const started = performance.now() - state.elapsed * 1000;
  try {
    for (let e = state.epoch; e < epochs; e++) {
      progress.begin(`epoch ${e + 1}/${epochs}`, stepsPerEpoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let steps = 0;
      for (let s = state.step; s < stepsPerEpoch; s++) {
        // A fresh augmentation of the corpus every epoch: sample i of epoch e is drawn with seed (seed, e).
        const b = batchOf(seed * 1_000_003 + e, s * batch);
        const r = await trainer.step(b, learningRate(schedule, e * stepsPerEpoch + s + 1));
        lossSum += r.loss;
        correct += r.correct;
        seen += batch;
        steps += 1;
        state = { ...state, step: s + 1, globalStep: state.globalStep + 1 };
        progress.update(s + 1, seen, `loss ${(lossSum / steps).toFixed(3)} | acc ${((100 * correct) / seen).toFixed(1)}%`);
        // Batch s of epoch e is a pure function of (seed, e, s): a checkpoint every 50 steps loses
        // at most 50 steps to a kill, and the resumed run sees exactly the batches it would have.
        if ((s + 1) % 50 === 0 && s + 1 < stepsPerEpoch) {
          saveCheckpoint(workdir, params, paths, trainer.opt, { ...state, elapsed: (performance.now() - started) / 1000 });
        }
      }
      // Held-out glyphs: another seed, so other augmentations of the same fonts.
      let valCorrect = 0;
      const valBatches = Math.max(1, Math.floor(2048 / batch));
      for (let v = 0; v < valBatches; v++) valCorrect += await trainer.correct(batchOf(seed * 1_000_003 + 999_983, v * batch));
      const val = (100 * valCorrect) / (valBatches * batch);
      progress.note(`epoch ${e + 1}: held-out glyph accuracy ${val.toFixed(2)}%`);
      state = { epoch: e + 1, step: 0, globalStep: state.globalStep, elapsed: (performance.now() - started) / 1000 };
      saveCheckpoint(workdir, params, paths, trainer.opt, state);
      writeJsonAtomic(join(workdir, 'provenance.json'), {
        command: `l2p pretrain ${argv.join(' ')}`,
        model: values.model,
        fonts: fonts.length,
        seed,
        epochs_done: e + 1,
        images_per_epoch: stepsPerEpoch * batch,
        held_out_glyph_accuracy: val,
        wall_time_s: state.elapsed,
      });
    }
  } finally {
    await disposeAll();
  }
  const head = new Map([...params].filter(([k]) => k.startsWith('head/')));
  const backbone = new Map([...params].filter(([k]) => !k.startsWith('head/')));
  if (!existsSync(dirname(values.out))) mkdirSync(dirname(values.out), { recursive: true });
  saveViT(values.out, backbone, head);
  console.log(`wrote ${values.model} backbone to ${values.out} (${(state.elapsed / 60).toFixed(1)} min)`);
  return 0;
}
