// A restricted unpickler: it interprets the pickle opcodes torch.save writes for a state dict
// (protocol 2, and the framing and memo opcodes of protocol 4) and builds plain values. It never
// runs code: a GLOBAL is only a name, and a name outside ALLOWED stops the load with one line naming
// it, before anything is called. REDUCE applies one of the allowed names by hand, below.
import { UserError } from '../errors.ts';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  readonly map = new Map<string | number, PyValue>();
}
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}
/** What a persistent id names: a storage entry of the archive (`data/<key>`). */
export interface StorageRef {
  kind: 'storage';
  dtype: string;
  key: string;
  numel: number;
}
/** `torch._utils._rebuild_tensor_v2`'s arguments: a strided view of a storage. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyGlobal | StorageRef | TensorRef;

/** Storage classes by name, as the dtype of their items (safetensors' names). */
export const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const FUNCTIONS = ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state'];
const ALLOWED = new Set([...FUNCTIONS, ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`)]);

const isTuple = (v: PyValue): v is PyTuple => v instanceof PyTuple;
const isInt = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Interprets `bytes`; `source` names them in errors; `persistentLoad` resolves persistent ids (the
 * PyTorch reader turns them into StorageRefs).
 */
export function unpickle(bytes: Uint8Array, source: string, persistentLoad: (pid: PyValue) => PyValue): PyValue {
  const fail = (problem: string, at: number): never => {
    throw new UserError(`${source}: ${problem} (at byte ${at} of the pickle)`);
  };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const take = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail(`truncated (needs ${n} more bytes, ${bytes.length - pos} are left)`, pos);
    const at = pos;
    pos += n;
    return at;
  };
  const utf8 = (n: number): string => {
    const at = take(n);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + n));
    } catch {
      return fail('a string is not valid UTF-8', at);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated (a GLOBAL name has no newline)', pos);
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  // Reads `stack` when called, after its argument (which may pop to a MARK and replace `stack`).
  const push = (x: PyValue): void => {
    stack.push(x);
  };
  const pop = (at: number): PyValue => (stack.length > 0 ? stack.pop()! : fail('pops an empty stack', at));
  const top = (at: number): PyValue => (stack.length > 0 ? stack[stack.length - 1] : fail('reads an empty stack', at));
  const popMark = (at: number): PyValue[] => {
    const items = stack;
    stack = marks.pop() ?? fail('has no MARK to pop to', at);
    return items;
  };
  const global = (module: string, name: string, at: number): PyGlobal => {
    const g = new PyGlobal(module, name);
    if (!ALLOWED.has(g.full)) {
      fail(`refused: the pickle names the global '${g.full}', which a state dict never needs (only ${FUNCTIONS.join(', ')} and torch storage types are read; nothing was run)`, at);
    }
    return g;
  };
  const setItems = (d: PyValue, kv: PyValue[], at: number): void => {
    if (!(d instanceof PyDict)) return fail('sets items on something that is not a dict', at);
    if (kv.length % 2 !== 0) fail('sets items from an odd number of values', at);
    for (let i = 0; i < kv.length; i += 2) d.map.set(dictKey(kv[i], at, fail), kv[i + 1]);
  };
  for (;;) {
    const at = pos;
    const op = bytes[take(1)];
    switch (op) {
      case 0x80: take(1); break; // PROTO
      case 0x95: take(8); break; // FRAME: a length hint only
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail(`stops with ${stack.length} values on the stack`, at);
        return stack[0];
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x7d: push(new PyDict()); break; // EMPTY_DICT
      case 0x74: push(new PyTuple(popMark(at))); break; // TUPLE
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = op - 0x84;
        if (stack.length < n) fail(`builds a ${n}-tuple from ${stack.length} values`, at);
        push(new PyTuple(stack.splice(stack.length - n, n)));
        break;
      }
      case 0x6c: push(popMark(at)); break; // LIST
      case 0x64: { const d = new PyDict(); setItems(d, popMark(at), at); push(d); break; } // DICT
      case 0x61: { const x = pop(at); const l = top(at); if (!Array.isArray(l)) fail('appends to something that is not a list', at); (l as PyValue[]).push(x); break; } // APPEND
      case 0x65: { const xs = popMark(at); const l = top(at); if (!Array.isArray(l)) fail('appends to something that is not a list', at); (l as PyValue[]).push(...xs); break; } // APPENDS
      case 0x73: { const val = pop(at); const k = pop(at); setItems(top(at), [k, val], at); break; } // SETITEM
      case 0x75: { const kv = popMark(at); setItems(top(at), kv, at); break; } // SETITEMS
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4b: push(bytes[take(1)]); break; // BININT1
      case 0x4d: push(v.getUint16(take(2), true)); break; // BININT2
      case 0x4a: push(v.getInt32(take(4), true)); break; // BININT
      case 0x8a: case 0x8b: { // LONG1, LONG4: little-endian two's complement
        const n = op === 0x8a ? bytes[take(1)] : v.getInt32(take(4), true);
        if (n > 8) fail(`an integer of ${n} bytes is larger than a state dict holds`, at);
        const b = bytes.subarray(take(n), pos);
        let x = 0n;
        for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) x -= 1n << BigInt(8 * n);
        push(x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x);
        break;
      }
      case 0x47: push(v.getFloat64(take(8), false)); break; // BINFLOAT
      case 0x58: push(utf8(v.getUint32(take(4), true))); break; // BINUNICODE
      case 0x8c: push(utf8(bytes[take(1)])); break; // SHORT_BINUNICODE
      case 0x55: push(new TextDecoder('latin1').decode(bytes.subarray(take(bytes[take(1)]), pos))); break; // SHORT_BINSTRING
      case 0x54: push(new TextDecoder('latin1').decode(bytes.subarray(take(v.getInt32(take(4), true)), pos))); break; // BINSTRING
      case 0x43: push(bytes.slice(take(bytes[take(1)]), pos)); break; // SHORT_BINBYTES
      case 0x42: push(bytes.slice(take(v.getUint32(take(4), true)), pos)); break; // BINBYTES
      case 0x63: { const module = line(); push(global(module, line(), at)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(at);
        const module = pop(at);
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings', at);
        push(global(module as string, name as string, at));
        break;
      }
      case 0x52: { const args = pop(at); push(reduce(pop(at), args, at, fail)); break; } // REDUCE
      case 0x81: { const args = pop(at); push(reduce(pop(at), args, at, fail)); break; } // NEWOBJ: OrderedDict only
      case 0x62: { // BUILD: sets attributes (OrderedDict's _metadata), which the weights do not need
        pop(at);
        const target = top(at);
        if (!(target instanceof PyDict)) fail('sets the state of something that is not a dict', at);
        break;
      }
      case 0x51: push(persistentLoad(pop(at))); break; // BINPERSID
      case 0x71: memo.set(bytes[take(1)], top(at)); break; // BINPUT
      case 0x72: memo.set(v.getUint32(take(4), true), top(at)); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top(at)); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? bytes[take(1)] : v.getUint32(take(4), true);
        if (!memo.has(k)) fail(`reads memo slot ${k}, which was never set`, at);
        push(memo.get(k)!);
        break;
      }
      case 0x30: pop(at); break; // POP
      case 0x31: popMark(at); break; // POP_MARK
      case 0x32: push(top(at)); break; // DUP
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, '0')} is not one torch.save writes for a state dict`, at);
    }
  }
}

function dictKey(k: PyValue, at: number, fail: (p: string, at: number) => never): string | number {
  if (typeof k === 'string' || isInt(k)) return k;
  return fail('a dict key is neither a string nor an integer', at);
}

/** Applies one of the allowed callables to its arguments, by hand. */
function reduce(f: PyValue, args: PyValue, at: number, fail: (p: string, at: number) => never): PyValue {
  if (!(f instanceof PyGlobal)) return fail('calls something that is not an allowed global', at);
  if (!isTuple(args)) return fail(`calls ${f.full} without an argument tuple`, at);
  const a = args.items;
  switch (f.full) {
    case 'collections.OrderedDict': {
      const d = new PyDict();
      const pairs = a[0];
      if (a.length > 1 || (a.length === 1 && !Array.isArray(pairs))) fail('OrderedDict takes at most a list of pairs here', at);
      for (const p of (pairs as PyValue[] | undefined) ?? []) {
        if (!isTuple(p) || p.items.length !== 2) fail('OrderedDict takes a list of (key, value) pairs', at);
        d.map.set(dictKey((p as PyTuple).items[0], at, fail), (p as PyTuple).items[1]);
      }
      return d;
    }
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = a;
      const ints = (x: PyValue) => isTuple(x) && x.items.every(isInt);
      if (a.length < 4 || typeof storage !== 'object' || storage === null || !('kind' in storage) || storage.kind !== 'storage' || !isInt(offset) || !ints(size) || !ints(stride)) {
        return fail('_rebuild_tensor_v2 takes (storage, offset, size, stride, ...)', at);
      }
      const shape = (size as PyTuple).items as number[];
      if (shape.length !== (stride as PyTuple).items.length) fail('_rebuild_tensor_v2: size and stride differ in length', at);
      return { kind: 'tensor', storage, offset, shape, stride: (stride as PyTuple).items as number[] };
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      // (data, requires_grad, hooks[, state]): the tensor itself.
      const data = a[0];
      if (typeof data !== 'object' || data === null || !('kind' in data) || data.kind !== 'tensor') return fail(`${f.full} takes a tensor first`, at);
      return data;
    }
    default:
      return fail(`calls ${f.full}, which only names a storage type`, at);
  }
}
