// PyTorch checkpoints in the zip format torch.save writes since 1.6: `<archive>/data.pkl` (a pickle
// whose tensors point at storages by persistent id) and `<archive>/data/<key>` (each storage's raw
// little-endian items). The pickle goes through the restricted unpickler (pickle.ts), so loading
// never runs code; tensors are found anywhere in nested dicts and named by their joined keys
// ('model.blocks.0.norm1.weight'), and read one at a time.
import { UserError, where } from '../errors.ts';
import { PyDict, PyTuple, PyGlobal, STORAGE_DTYPES, unpickle, type PyValue, type StorageRef, type TensorRef } from './pickle.ts';
import { FLOAT_ITEMSIZE, isFloatDtype, numel, widen, type StoredTensor, type TensorArchive } from './tensor-archive.ts';
import { ZipFile, type ZipEntry } from './zip-reader.ts';

const KIND = 'PyTorch checkpoint';
/** Nested dicts deeper than this are not searched. */
const MAX_DEPTH = 12;

/** The archive's folder when the zip's entries are a torch.save archive (`<archive>/data.pkl`), else undefined. */
export function torchArchiveFolder(entries: readonly ZipEntry[]): string | undefined {
  const pkl = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  return pkl.length === 1 ? pkl[0].name.slice(0, -'data.pkl'.length) : undefined;
}

export class TorchZipFile implements TensorArchive {
  readonly tensors: Map<string, StoredTensor>;
  private readonly refs: Map<string, TensorRef>;
  private readonly entries: Map<string, ZipEntry>;

  private constructor(readonly path: string, private readonly zip: ZipFile, private readonly folder: string, refs: Map<string, TensorRef>) {
    this.refs = refs;
    this.entries = new Map(zip.entries.map((e) => [e.name, e]));
    this.tensors = new Map([...refs].map(([k, t]) => [k, { dtype: t.storage.dtype, shape: t.shape }]));
  }

  static open(path: string): TorchZipFile {
    const zip = ZipFile.open(path, KIND);
    try {
      const folder = torchArchiveFolder(zip.entries);
      if (folder === undefined) throw new UserError(`${where(path)} is not a ${KIND}: the zip holds no single '<archive>/data.pkl'`);
      const byteorder = zip.entries.find((e) => e.name === `${folder}byteorder`);
      if (byteorder && new TextDecoder().decode(zip.read(byteorder)) !== 'little') {
        throw new UserError(`${where(path)}: big-endian PyTorch checkpoints are not supported`);
      }
      const pkl = zip.entries.find((e) => e.name === `${folder}data.pkl`)!;
      const source = `${where(path)} entry '${pkl.name}'`;
      const root = unpickle(zip.read(pkl), source, (pid) => storageOf(pid, source));
      const refs = new Map<string, TensorRef>();
      collect(root, '', refs, 0);
      return new TorchZipFile(path, zip, folder, refs);
    } catch (e) {
      zip.close();
      throw e;
    }
  }

  read(name: string): Float32Array {
    const t = this.refs.get(name);
    if (!t) throw new UserError(`${where(this.path)} has no tensor '${name}'`);
    const source = `${where(this.path)} tensor '${name}'`;
    const { dtype, key, numel: storageItems } = t.storage;
    if (!isFloatDtype(dtype)) return widen(new Uint8Array(0), dtype, 0, source);
    const entryName = `${this.folder}data/${key}`;
    const entry = this.entries.get(entryName);
    if (!entry) throw new UserError(`${source}: its storage '${entryName}' is missing from the archive`);
    const itemsize = FLOAT_ITEMSIZE[dtype];
    if (entry.size !== storageItems * itemsize) {
      throw new UserError(`${source}: storage '${entryName}' holds ${entry.size} bytes, ${storageItems} ${dtype} items need ${storageItems * itemsize}`);
    }
    const count = numel(t.shape);
    // The last item the view reaches must lie inside the storage.
    const last = t.offset + t.shape.reduce((s, d, i) => s + (d - 1) * t.stride[i], 0);
    if (t.offset < 0 || t.stride.some((s) => s < 0) || (count > 0 && last >= storageItems)) {
      throw new UserError(`${source}: shape [${t.shape.join(', ')}] with strides [${t.stride.join(', ')}] at offset ${t.offset} runs past its storage of ${storageItems} items`);
    }
    const all = widen(this.zip.read(entry), dtype, storageItems, source);
    return gather(all, t, count);
  }

  close(): void {
    this.zip.close();
  }
}

/** A persistent id ('storage', storage_type, key, location, numel) as a StorageRef. */
function storageOf(pid: PyValue, source: string): StorageRef {
  const items = pid instanceof PyTuple ? pid.items : [];
  const [tag, type, key, , n] = items;
  if (items.length !== 5 || tag !== 'storage' || !(type instanceof PyGlobal) || typeof key !== 'string' || typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new UserError(`${source}: a persistent id is not ('storage', type, key, location, numel)`);
  }
  const dtype = STORAGE_DTYPES[type.name];
  if (!dtype) throw new UserError(`${source}: '${type.full}' is not a storage type`);
  if (!/^[A-Za-z0-9_]+$/.test(key)) throw new UserError(`${source}: storage key '${key}' is not a plain name`);
  return { kind: 'storage', dtype, key, numel: n };
}

function isTensor(v: PyValue): v is TensorRef {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'tensor';
}

/**
 * Every tensor under `v`, named by the dict keys leading to it joined with '.'; lists and other
 * values are skipped. A dict reached twice (the memo can share one, or make it hold itself) is
 * walked once, under the first name, so no pickle makes the walk long.
 */
function collect(v: PyValue, prefix: string, out: Map<string, TensorRef>, depth: number, seen = new Set<PyDict>()): void {
  if (isTensor(v)) {
    out.set(prefix, v);
    return;
  }
  if (!(v instanceof PyDict) || depth >= MAX_DEPTH || seen.has(v)) return;
  seen.add(v);
  for (const [k, x] of v.map) collect(x, prefix === '' ? String(k) : `${prefix}.${k}`, out, depth + 1, seen);
}

/** The tensor's items in row-major order from its strided view of the storage. */
function gather(storage: Float32Array, t: TensorRef, count: number): Float32Array {
  const { shape, stride, offset } = t;
  const contiguous = shape.every((_, i) => shape[i] === 1 || stride[i] === shape.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous) return storage.slice(offset, offset + count);
  const out = new Float32Array(count);
  const idx = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = offset;
    for (let i = 0; i < shape.length; i++) at += idx[i] * stride[i];
    out[n] = storage[at];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}
