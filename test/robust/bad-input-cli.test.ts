// Every kind of bad input, through the real command line: each must end with exit status 1 and one
// line on stderr naming the file (or config key) and the problem (the last line, for a fault met
// once training has started), and must leave the workdir, the data and any output path as they were.
// Cases run a few at a time; each has its own directories.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { readNpz, writeNpz } from '../../src/io/npz.ts';
import { encodeNpy, type NpyArray } from '../../src/io/npy.ts';
import { zipChunks } from '../../src/io/zip-writer.ts';
import { saveViT } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { assertRefusal, assertUnchanged, l2p, snapshot } from './cli.ts';
import {
  editJson,
  flipByte,
  nativeCifar100,
  nativeFive,
  pngRecords,
  shardOf,
  tfdsCifar100,
  tfdsFive,
  truncate,
  writeShard,
} from './data.ts';

const root = tempDir('robust-cli');
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh directory for one case. */
const fresh = (tag: string) => {
  const d = join(root, `${tag}-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden', 'a');
const train = (config: string, workdir: string, dataDir: string, ...more: string[]) => [
  'train', '--config', config, '--workdir', workdir, '--set', `data_dir=${dataDir}`, '--workers', '0', '--threads', '1', ...more,
];

/**
 * Runs `args`, expecting a refusal matching `pattern` as the only line on stderr (or, once a run has
 * `started`, the last), with every path in `watch` left as it was.
 */
async function refused(command: string, args: string[], watch: string[], pattern: RegExp, o: { started?: boolean } = {}): Promise<void> {
  const was = snapshot(watch);
  const r = await l2p(args);
  const before = assertRefusal(r, command, pattern);
  if (!o.started) assert.deepEqual(before, [], `lines before the error:\n${r.stderr}`);
  assertUnchanged(was, snapshot(watch), watch.join(', '));
}

// Shared, read-only: a TFDS cifar100, a finished smoke run on it, a ViT-mu_8 checkpoint and images for it.
const shared = { data: join(root, 'data'), run: join(root, 'run'), vit: join(root, 'vit.npz'), images: join(root, 'images.npz') };
before(async () => {
  await tfdsCifar100(shared.data);
  const cfg = decodeVariant('ViT-mu_8');
  saveViT(shared.vit, randomViT(cfg, 16, 1));
  writeNpz(shared.images, { images: { dtype: 'float32', shape: [2, 32, 32, 3], data: new Float32Array(2 * 32 * 32 * 3).fill(0.5) } });
  const r = await l2p(train('cifar100_l2p_smoke', shared.run, shared.data));
  assert.equal(r.status, 0, r.stderr);
});

/** A copy of the finished run whose latest checkpoint npz has been passed through `edit`. */
function runWithCheckpoint(edit: (arrays: Map<string, NpyArray>) => void): { workdir: string; npz: string } {
  const workdir = join(fresh('ckpt'), 'run');
  cpSync(shared.run, workdir, { recursive: true });
  const state = JSON.parse(readFileSync(join(workdir, 'checkpoints', 'state.json'), 'utf8'));
  const npz = join(workdir, 'checkpoints', state.npz);
  const arrays = readNpz(npz);
  edit(arrays);
  writeNpz(npz, arrays);
  return { workdir, npz };
}

/** An npz whose 'images' entry is the given .npy bytes, written as they are. */
function npzWithNpy(file: string, npy: Uint8Array): void {
  writeFileSync(file, Buffer.concat([...zipChunks([{ name: 'images.npy', parts: [npy] }], { compress: false })]));
}

/** The .npy of the shared images with its header text replaced. */
function imagesNpy(header: (h: string) => string, cut = 0): Uint8Array {
  const npy = encodeNpy({ dtype: 'float32', shape: [2, 32, 32, 3], data: new Float32Array(2 * 32 * 32 * 3) });
  const text = new TextDecoder('latin1').decode(npy.subarray(10, 128));
  const edited = header(text.trimEnd()).padEnd(text.length - 1, ' ') + '\n';
  assert.equal(edited.length, text.length);
  const out = npy.slice(0, npy.length - cut);
  out.set(new TextEncoder().encode(edited), 10);
  return out;
}

type Case = (t: TestContext) => Promise<void>;

const CASES: Record<string, Case> = {
  // --- config ----------------------------------------------------------------------------------
  'unknown config key': async () => {
    const w = join(fresh('cfg'), 'run');
    await refused('train', train('cifar100_l2p_smoke', w, shared.data, '--set', 'prompt_pool_param.pool_sise=3'), [w],
      /config key 'prompt_pool_param\.pool_sise' is unknown \(did you mean 'prompt_pool_param\.pool_size'\?\)$/);
  },
  'config value of the wrong type': async () => {
    const w = join(fresh('cfg'), 'run');
    await refused('train', train('cifar100_l2p_smoke', w, shared.data, '--set', 'num_epochs=two'), [w], /config key 'num_epochs' must be an integer, got "two"$/);
  },
  'a config file with an unknown key': async () => {
    const d = fresh('cfgfile');
    const base = getPreset('cifar100_l2p_smoke');
    const unknown = join(d, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ ...base, learning_rat: 0.1 }));
    await refused('train', train(unknown, join(d, 'a'), shared.data), [d], /unknown\.json: config key 'learning_rat' is unknown \(did you mean 'learning_rate'\?\)$/);
  },

  // --- workdir ---------------------------------------------------------------------------------
  "a workdir holding another config's run": async () => {
    await refused('train', train('cifar100_l2p_smoke', shared.run, shared.data, '--resume', '--set', 'learning_rate=0.5'), [shared.run, shared.data],
      /'.*run' holds a run with another configuration \(differs in learning_rate\); resume with the same config/);
    await refused('train', train('cifar100_l2p_smoke', shared.run, shared.data), [shared.run], /'.*run' already holds a run; pass --resume to continue it/);
  },

  // --- run checkpoints -------------------------------------------------------------------------
  'a run checkpoint with a missing key': async () => {
    const { workdir } = runWithCheckpoint((a) => a.delete('params/head/bias'));
    await refused('eval', ['eval', '--workdir', workdir], [workdir], /ckpt-\d+\.npz': key 'params\/head\/bias' is missing$/);
    // --resume falls back to the checkpoint before (refusals.test.ts); with none kept, the fault is the error.
    editJson(join(workdir, 'checkpoints', 'state.json'), (j) => delete j.previous);
    await refused('train', train('cifar100_l2p_smoke', workdir, shared.data, '--resume'), [workdir], /ckpt-\d+\.npz': key 'params\/head\/bias' is missing$/);
  },
  'a run checkpoint with an extra key': async () => {
    const { workdir } = runWithCheckpoint((a) => a.set('params/extra', { dtype: 'float32', shape: [1], data: new Float32Array(1) }));
    await refused('eval', ['eval', '--workdir', workdir], [workdir], /ckpt-\d+\.npz': unexpected key 'params\/extra'/);
  },
  'a run checkpoint with a wrongly shaped key': async () => {
    const { workdir } = runWithCheckpoint((a) => {
      const k = a.get('params/head/kernel')!;
      a.set('params/head/kernel', { ...k, shape: [...k.shape].reverse() });
    });
    await refused('eval', ['eval', '--workdir', workdir], [workdir], /ckpt-\d+\.npz': key 'params\/head\/kernel' has shape \[4, 48\], expected \[48, 4\]$/);
  },
  'a truncated run checkpoint': async () => {
    const { workdir, npz } = runWithCheckpoint(() => {});
    truncate(npz, 100);
    await refused('eval', ['eval', '--workdir', workdir], [workdir], /ckpt-\d+\.npz'.*(zip|truncated|end of central directory)/i);
  },

  // --- backbone checkpoints --------------------------------------------------------------------
  'a ViT checkpoint with a missing, an extra or a wrongly shaped key': async () => {
    const d = fresh('vit');
    const out = join(d, 'out.npy');
    const variants: [string, (a: Map<string, NpyArray>) => void, RegExp][] = [
      ['missing', (a) => a.delete('Transformer/encoder_norm/scale'), /missing\.npz': key 'Transformer\/encoder_norm\/scale' is missing \(expected shape \[48\]\)$/],
      ['extra', (a) => a.set('Transformer/extra', { dtype: 'float32', shape: [2], data: new Float32Array(2) }), /extra\.npz': unexpected key 'Transformer\/extra' \[2\]$/],
      ['shape', (a) => a.set('embedding/bias', { dtype: 'float32', shape: [47], data: new Float32Array(47) }), /shape\.npz': key 'embedding\/bias' has shape \[47\], expected \[48\]$/],
    ];
    for (const [name, edit, pattern] of variants) {
      const arrays = readNpz(shared.vit);
      edit(arrays);
      const file = join(d, `${name}.npz`);
      writeNpz(file, arrays);
      await refused('features', ['features', '--checkpoint', file, '--images', shared.images, '--out', out], [d], pattern);
    }
  },

  // --- npz / npy -------------------------------------------------------------------------------
  'truncated and corrupted npz and npy': async () => {
    const d = fresh('npz');
    const out = join(d, 'out.npy');
    const run = (file: string, pattern: RegExp) => refused('features', ['features', '--checkpoint', shared.vit, '--images', file, '--out', out], [d], pattern);
    const cut = join(d, 'truncated.npz');
    writeFileSync(cut, readFileSync(shared.images).subarray(0, 5000));
    await run(cut, /truncated\.npz'.*(not a zip|end of central directory|truncated)/i);
    const bad = (name: string, npy: Uint8Array) => {
      const file = join(d, `${name}.npz`);
      npzWithNpy(file, npy);
      return file;
    };
    const magic = imagesNpy((h) => h);
    magic[1] = 0x4f;
    await run(bad('magic', magic), /magic\.npz' entry 'images\.npy' is not a \.npy array: the magic string '\\x93NUMPY' is missing$/);
    await run(bad('dtype', imagesNpy((h) => h.replace("'<f4'", "'<c8'"))), /dtype\.npz' entry 'images\.npy': unsupported dtype '<c8'/);
    await run(bad('fortran', imagesNpy((h) => h.replace('False', 'True'))), /fortran\.npz' entry 'images\.npy': Fortran-order arrays are not supported/);
    await run(bad('short', imagesNpy((h) => h, 64)), /short\.npz' entry 'images\.npy': data is 24512 bytes, shape \[2,32,32,3\] float32 needs 24576$/);
  },

  // --- TFRecord / TFDS -------------------------------------------------------------------------
  'a TFRecord with a bad checksum, and a truncated one': async () => {
    const d = fresh('tfrec');
    const builder = await tfdsCifar100(d);
    const shard = shardOf(builder, 'cifar100', 'train');
    flipByte(shard, 40);
    const w = join(d, 'run');
    await refused('train', train('cifar100_l2p_smoke', w, d), [d], /cifar100-train\.tfrecord-00000-of-00001': corrupt TFRecord at byte 0: the data checksum does not match$/);
    await tfdsCifar100(d);
    truncate(shard, 3);
    await refused('train', train('cifar100_l2p_smoke', w, d), [d], /cifar100-train\.tfrecord-00000-of-00001': truncated TFRecord at byte \d+: the file ends at byte \d+$/);
  },
  'a TFDS directory with a missing shard or an inconsistent dataset_info.json': async () => {
    const d = fresh('tfds');
    const w = join(d, 'run');
    const builder = await tfdsCifar100(d);
    const info = join(builder, 'dataset_info.json');
    editJson(info, (j) => (j.splits[0].shardLengths = ['8', '8']));
    await refused('train', train('cifar100_l2p_smoke', w, d), [d], /cifar100-train\.tfrecord-00000-of-00002': shard listed in dataset_info\.json is missing$/);
    await tfdsCifar100(d);
    editJson(info, (j) => (j.splits[0].shardLengths = ['17']));
    await refused('train', train('cifar100_l2p_smoke', w, d), [d], /00000-of-00001': dataset_info\.json says this shard holds 17 records, but it holds 16$/);
    editJson(info, (j) => (j.splits[0].shardLengths = ['9000000000']));
    await refused('train', train('cifar100_l2p_smoke', w, d), [d], /00000-of-00001': dataset_info\.json says this shard holds 9000000000 records, but its size allows at most \d+$/);
    editJson(info, (j) => (j.splits[0].filepathTemplate = '../../../../outside-{SPLIT}'));
    await refused('train', train('cifar100_l2p_smoke', w, d), [d], /dataset_info\.json': names shard '\.\.\/\.\.\/\.\.\/\.\.\/outside-train' of split 'train', outside its directory$/);
  },

  // --- native layouts --------------------------------------------------------------------------
  'IDX files with a wrong magic number or short data': async () => {
    const d = fresh('idx');
    nativeFive(d);
    const w = join(d, 'run');
    const images = join(d, 'train-images-idx3-ubyte');
    flipByte(images, 1);
    await refused('train', train('five_datasets_l2p_smoke', w, d), [d], /train-images-idx3-ubyte': not an IDX file \(bad magic number\)$/);
    nativeFive(d);
    truncate(join(d, 'train-labels-idx1-ubyte'), 2);
    await refused('train', train('five_datasets_l2p_smoke', w, d), [d], /train-labels-idx1-ubyte': IDX header promises 28 bytes \(20\) but the data holds 26$/);
  },
  'CIFAR binaries of the wrong length': async () => {
    const d = fresh('cifar');
    const bin = nativeCifar100(d);
    truncate(join(bin, 'train.bin'), 5);
    await refused('train', train('cifar100_l2p_smoke', join(d, 'run'), d), [d], /train\.bin': size 49179 is not a whole number of 3074-byte CIFAR records$/);
  },

  // --- labels ----------------------------------------------------------------------------------
  'labels out of range: TFDS cifar100': async () => {
    const d = fresh('label100');
    const builder = await tfdsCifar100(d);
    const labels = Array.from({ length: 16 }, (_, i) => (i === 5 ? 150 : i % 4));
    writeShard(shardOf(builder, 'cifar100', 'train'), await pngRecords(labels));
    await refused('train', train('cifar100_l2p_smoke', join(d, 'run'), d), [d], /cifar100-train\.tfrecord-00000-of-00001' record at byte \d+: label 150 is outside the 100 classes of 'label'$/);
  },
  'labels out of range: a 5-datasets member': async () => {
    const d = fresh('label5');
    const { mnist } = await tfdsFive(d);
    const labels = Array.from({ length: 20 }, (_, i) => (i === 3 ? 12 : i % 10));
    writeShard(shardOf(mnist, 'mnist', 'train'), await pngRecords(labels, 1));
    await refused('train', train('five_datasets_l2p_smoke', join(d, 'run'), d), [d], /mnist-train\.tfrecord-00000-of-00001' record at byte \d+: label 12 is outside the 10 classes of 'label'$/);
  },

  // --- images ----------------------------------------------------------------------------------
  'undecodable images': async () => {
    const d = fresh('image');
    const builder = await tfdsCifar100(d);
    const labels = Array.from({ length: 16 }, (_, i) => i % 4);
    writeShard(shardOf(builder, 'cifar100', 'train'), await pngRecords(labels, 3, { 0: new TextEncoder().encode('not a png') }));
    const grid = join(d, 'grid.png');
    await refused('data', ['data', 'preview', '--dataset', 'cifar100', '--data-dir', d, '--split', 'train[:4]', '--out', grid, '--workers', '0'], [d],
      /cifar100-train\.tfrecord-00000-of-00001' record at byte 0: cannot decode the image \(.+\)$/);
    const file = join(d, 'photo.png');
    writeFileSync(file, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    await refused('predict', ['predict', '--workdir', shared.run, file], [shared.run, d], /'.*photo\.png': cannot decode the image \(.+\)$/);
  },

  'an undecodable image met while training': async () => {
    const d = fresh('image-train');
    const builder = await tfdsCifar100(d);
    writeShard(shardOf(builder, 'cifar100', 'train'), await pngRecords(Array.from({ length: 16 }, (_, i) => i % 4), 3, { 1: new Uint8Array(40) }));
    // the run has started (and said so) when it meets the image; it takes back the workdir it created
    await refused('train', train('cifar100_l2p_smoke', join(d, 'run'), d), [d], /cifar100-train\.tfrecord-00000-of-00001' record at byte \d+: cannot decode the image/, { started: true });
  },

  // --- golden-format cases (debug-step) ---------------------------------------------------------
  'a golden case with a missing field or a label out of range': async () => {
    const d = fresh('golden');
    const out = join(d, 'out.npz');
    const copy = (tag: string) => {
      const c = join(d, tag);
      mkdirSync(c);
      for (const f of ['case.json', 'vit.npz', 'l2p.npz', 'batch.npz']) cpSync(join(GOLDEN, f), join(c, f));
      return c;
    };
    const noLr = copy('nolr');
    editJson(join(noLr, 'case.json'), (j) => delete j.lr);
    await refused('debug-step', ['debug-step', noLr, '--out', out], [d], /nolr\/case\.json': 'lr' must be a number$/);
    const badLabel = copy('label');
    const batch = readNpz(join(badLabel, 'batch.npz'));
    batch.set('labels', { dtype: 'int32', shape: [5], data: Int32Array.of(99, 0, 1, 2, 3) });
    writeNpz(join(badLabel, 'batch.npz'), batch);
    await refused('debug-step', ['debug-step', badLabel, '--out', out], [d], /label\/batch\.npz': label 99 is outside \[0, 10\)$/);
  },
};

// The timeout guards against a hang, not a speed: each case spawns `l2p`, about 25 s of CPU for them
// all, and on a loaded 2-core machine the whole took 67 s, so it is 5 minutes.
test('bad input: exit status 1, one line naming the file or key and the problem, nothing written', { concurrency: 3, timeout: 300_000 }, async (t) => {
  await Promise.all(Object.entries(CASES).map(([name, run]) => t.test(name, run)));
});
