// The restricted unpickler on pickles written by Python's own pickle module (each value worked out
// by hand) and on opcodes written byte by byte; every refusal is checked by its exact line, which
// names the source and the byte it stopped at.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { PyDict, PyGlobal, PyTuple, unpickle, type PyValue, type StorageRef } from '../../src/io/pickle.ts';
import { throwsUserError } from './npz-helpers.ts';

const PYTHON = '/usr/bin/python3';
const enc = new TextEncoder();

/** Python's pickle.dumps of each expression (evaluated with `collections` imported). */
function dumps(protocol: number, exprs: string[]): Uint8Array[] {
  const code = `import collections, json, pickle\nprint(json.dumps([pickle.dumps(x, protocol=${protocol}).hex() for x in [${exprs.join(', ')}]]))`;
  return (JSON.parse(execFileSync(PYTHON, ['-c', code], { encoding: 'utf8' })) as string[]).map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
}
const noPid = (): PyValue => assert.fail('no persistent id was expected');
const load = (bytes: Uint8Array, pid: (p: PyValue) => PyValue = noPid): PyValue => unpickle(bytes, 's', pid);
/** PROTO 2, then `ops`. */
const p2 = (...ops: (number | string)[]): Uint8Array => Uint8Array.from([0x80, 2, ...ops.flatMap((o) => (typeof o === 'string' ? [...enc.encode(o)] : [o]))]);
const G = (module: string, name: string): string => `c${module}\n${name}\n`;
const tuple = (...items: PyValue[]): PyTuple => new PyTuple(items);
function dict(...entries: [string | number, PyValue][]): PyDict {
  const d = new PyDict();
  for (const [k, v] of entries) d.map.set(k, v);
  return d;
}
function bad(bytes: Uint8Array, problem: string, at: number, pid: (p: PyValue) => PyValue = noPid): void {
  const line = `'x.pth' entry 'x/data.pkl': ${problem} (at byte ${at} of the pickle)`;
  assert.equal(throwsUserError(() => unpickle(bytes, "'x.pth' entry 'x/data.pkl'", pid), line), line);
}

test('unpickler: integers of every width Python writes, signs and the safe-integer edge', () => {
  const ints = ['0', '255', '256', '65535', '65536', '-1', '-2**31', '2**31-1', '2**31', '-2**31-1', '2**53-1', '-(2**53-1)', '2**53', '-2**53', '2**63-1', '-2**63'];
  const want = [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
  assert.deepEqual(dumps(2, ints).map((b) => load(b)), want);
  // LONG1 of no bytes is 0; LONG4 with a two's-complement sign bit.
  assert.equal(load(p2(0x8a, 0, 0x2e)), 0);
  assert.equal(load(p2(0x8b, 2, 0, 0, 0, 0xff, 0x7f, 0x2e)), 32767);
  assert.equal(load(p2(0x8b, 1, 0, 0, 0, 0x80, 0x2e)), -128);
  bad(dumps(2, ['2**63'])[0], 'an integer of 9 bytes is larger than a state dict holds', 2);
  bad(p2(0x8b, 0xff, 0xff, 0xff, 0xff, 0x2e), 'truncated (needs -1 more bytes, 1 are left)', 7);
});

test('unpickler: None, booleans, floats, str and bytes as Python writes them', () => {
  const got = dumps(2, ['None', 'True', 'False', '1.5', '-0.1', '1e300', "float('-inf')", "''", "'a'", "'é€'"]).map((b) => load(b));
  assert.deepEqual(got, [null, true, false, 1.5, -0.1, 1e300, -Infinity, '', 'a', 'é€']);
  assert.deepEqual(dumps(4, ["'é€'", "b''", "b'\\x00\\xff'", "b'x' * 300"]).map((b) => load(b)), ['é€', new Uint8Array(0), Uint8Array.from([0, 255]), new Uint8Array(300).fill(0x78)]);
  // Python 2 byte strings (SHORT_BINSTRING, BINSTRING) are latin-1.
  assert.equal(load(p2(0x55, 2, 0xe9, 0x41, 0x2e)), 'éA');
  assert.equal(load(p2(0x54, 2, 0, 0, 0, 0xe9, 0x41, 0x2e)), 'éA');
  bad(p2(0x54, 0xff, 0xff, 0xff, 0xff, 0x2e), 'truncated (needs -1 more bytes, 1 are left)', 7);
  bad(p2(0x8c, 1, 0xff, 0x2e), 'a string is not valid UTF-8', 4);
  bad(p2(0x4d, 1), 'truncated (needs 2 more bytes, 1 are left)', 3);
});

test('unpickler: tuples, lists and dicts of every size, with shared values from the memo', () => {
  const got = dumps(2, ['()', '(1,)', '(1, 2)', '(1, 2, 3)', '(1, 2, 3, 4)', '[]', '[1]', '[1, [2], 3]', '{}', "{'a': 1}", "{'a': 1, 7: [2]}"]).map((b) => load(b));
  assert.deepEqual(got, [tuple(), tuple(1), tuple(1, 2), tuple(1, 2, 3), tuple(1, 2, 3, 4), [], [1], [1, [2], 3], dict(), dict(['a', 1]), dict(['a', 1], [7, [2]])]);
  for (const protocol of [2, 4]) {
    const [shared, many] = dumps(protocol, ['(lambda x: [x, x, (x,)])([1])', '(lambda l: l + [l[299]])([[i] for i in range(300)])']);
    const s = load(shared) as PyValue[];
    assert.deepEqual(s, [[1], [1], tuple([1])]);
    assert.ok(s[0] === s[1] && s[0] === (s[2] as PyTuple).items[0], 'the memo returns the same list');
    const m = load(many) as PyValue[][];
    assert.deepEqual(m[300], [299]);
    assert.ok(m[300] === m[299], 'memo slots past 255 (LONG_BINPUT / MEMOIZE) are read back');
  }
  // LIST and DICT (protocols 0 and 1) from a MARK; DUP, POP and POP_MARK.
  assert.deepEqual(load(p2(0x28, 0x4b, 1, 0x4e, 0x6c, 0x2e)), [1, null]);
  assert.deepEqual(load(p2(0x28, 0x8c, 1, 'a', 0x4b, 1, 0x64, 0x2e)), dict(['a', 1]));
  assert.deepEqual(load(p2(0x4b, 5, 0x32, 0x86, 0x2e)), tuple(5, 5));
  assert.equal(load(p2(0x4b, 1, 0x4b, 2, 0x30, 0x2e)), 1);
  assert.equal(load(p2(0x4b, 1, 0x28, 0x4b, 2, 0x4b, 3, 0x31, 0x2e)), 1);
  // FRAME's 8-byte length is a hint and skipped.
  assert.equal(load(Uint8Array.from([0x80, 4, 0x95, 2, 0, 0, 0, 0, 0, 0, 0, 0x4b, 7, 0x2e])), 7);
});

test('unpickler: OrderedDict by REDUCE (protocols 2 and 4), by NEWOBJ, from pairs, with BUILD state', () => {
  for (const b of dumps(2, ["collections.OrderedDict([('b', 1), ('a', (2,))])"]).concat(dumps(4, ["collections.OrderedDict([('b', 1), ('a', (2,))])"]))) {
    const d = load(b);
    assert.deepEqual(d, dict(['b', 1], ['a', tuple(2)]));
    assert.deepEqual([...(d as PyDict).map.keys()], ['b', 'a']);
  }
  assert.deepEqual(load(p2(G('collections', 'OrderedDict'), 0x29, 0x81, 0x2e)), dict());
  const pairs = p2(G('collections', 'OrderedDict'), 0x5d, 0x28, 0x8c, 1, 'k', 0x4b, 3, 0x86, 0x8c, 1, 'j', 0x4e, 0x86, 0x65, 0x85, 0x52, 0x2e);
  assert.deepEqual(load(pairs), dict(['k', 3], ['j', null]));
  // BUILD drops the state (torch's _metadata) and leaves the dict.
  assert.deepEqual(load(p2(0x7d, 0x7d, 0x8c, 1, 'm', 0x4b, 1, 0x73, 0x62, 0x2e)), dict());
});

const STORAGE: StorageRef = { kind: 'storage', dtype: 'F32', key: '0', numel: 6 };
const storagePid = (p: PyValue): PyValue => {
  assert.deepEqual(p, tuple('storage', 'x'));
  return STORAGE;
};
/** MARK, the persistent id ('storage', 'x'), then `rest` of _rebuild_tensor_v2's arguments, TUPLE, REDUCE. */
const rebuild = (...rest: (number | string)[]): (number | string)[] => [G('torch._utils', '_rebuild_tensor_v2'), 0x28, 0x8c, 7, 'storage', 0x8c, 1, 'x', 0x86, 0x51, ...rest, 0x74, 0x52];

test('unpickler: _rebuild_tensor_v2 and _rebuild_parameter give the strided view', () => {
  const view = { kind: 'tensor', storage: STORAGE, offset: 1, shape: [2, 3], stride: [3, 1] };
  const v2 = rebuild(0x4b, 1, 0x4b, 2, 0x4b, 3, 0x86, 0x4b, 3, 0x4b, 1, 0x86);
  assert.deepEqual(load(p2(...v2, 0x2e), storagePid), view);
  assert.deepEqual(load(p2(...rebuild(0x4b, 1, 0x4b, 2, 0x4b, 3, 0x86, 0x4b, 3, 0x4b, 1, 0x86, 0x89, 0x7d, 0x4e), 0x2e), storagePid), view);
  for (const f of ['_rebuild_parameter', '_rebuild_parameter_with_state']) {
    assert.deepEqual(load(p2(G('torch._utils', f), ...v2, 0x88, 0x7d, 0x87, 0x52, 0x2e), storagePid), view);
    bad(p2(G('torch._utils', f), 0x4e, 0x88, 0x7d, 0x87, 0x52, 0x2e), `torch._utils.${f} takes a tensor first`, 21 + f.length);
  }
  const takes = '_rebuild_tensor_v2 takes (storage, offset, size, stride, ...)';
  bad(p2(...rebuild(0x4b, 1, 0x4b, 2, 0x85), 0x2e), takes, 56, storagePid);
  bad(p2(...rebuild(0x4e, 0x29, 0x29), 0x2e), takes, 54, storagePid);
  bad(p2(...rebuild(0x4b, 0, 0x4e, 0x29), 0x2e), takes, 55, storagePid);
  bad(p2(...rebuild(0x4b, 0, 0x29, 0x4e), 0x2e), takes, 55, storagePid);
  bad(p2(...rebuild(0x4b, 0, 0x4e, 0x85, 0x29), 0x2e), takes, 56, storagePid);
  bad(p2(...rebuild(0x4b, 0, 0x29, 0x4e, 0x85), 0x2e), takes, 56, storagePid);
  bad(p2(...rebuild(0x4b, 0, 0x4b, 2, 0x4e, 0x86, 0x4b, 1, 0x4b, 1, 0x86), 0x2e), takes, 62, storagePid);
  // A scalar's stride () with a size (2,).
  bad(p2(...rebuild(0x4b, 1, 0x4b, 2, 0x85, 0x29), 0x2e), '_rebuild_tensor_v2: size and stride differ in length', 57, storagePid);
  // Storages that are None, a string, a dict, a tensor.
  bad(p2(G('torch._utils', '_rebuild_tensor_v2'), 0x28, 0x4e, 0x4b, 0, 0x29, 0x29, 0x74, 0x52, 0x2e), takes, 42);
  bad(p2(G('torch._utils', '_rebuild_tensor_v2'), 0x28, 0x8c, 1, 'a', 0x4b, 0, 0x29, 0x29, 0x74, 0x52, 0x2e), takes, 44);
  bad(p2(G('torch._utils', '_rebuild_tensor_v2'), 0x28, 0x7d, 0x4b, 0, 0x29, 0x29, 0x74, 0x52, 0x2e), takes, 42);
  const scalar = { kind: 'tensor', storage: STORAGE, offset: 0, shape: [], stride: [] } as PyValue;
  assert.deepEqual(load(p2(...rebuild(0x4b, 0, 0x29, 0x29), 0x2e), storagePid), scalar);
  bad(p2(...rebuild(0x4b, 0, 0x29, 0x29), 0x2e), takes, 55, () => scalar);
  bad(p2(G('torch._utils', '_rebuild_parameter'), 0x8c, 1, 'x', 0x88, 0x7d, 0x87, 0x52, 0x2e), 'torch._utils._rebuild_parameter takes a tensor first', 41);
  // A parameter whose data is a storage, not a tensor.
  bad(p2(G('torch._utils', '_rebuild_parameter'), 0x8c, 1, 'x', 0x51, 0x88, 0x7d, 0x87, 0x52, 0x2e), 'torch._utils._rebuild_parameter takes a tensor first', 42, () => STORAGE);
});

test('unpickler: calls that are not a state dict\'s are refused naming what was called', () => {
  const OD = G('collections', 'OrderedDict'); // bytes 2..26
  bad(p2(0x4e, 0x29, 0x52, 0x2e), 'calls something that is not an allowed global', 4);
  bad(p2(OD, 0x4e, 0x52, 0x2e), 'calls collections.OrderedDict without an argument tuple', 28);
  bad(p2(OD, 0x5d, 0x5d, 0x86, 0x52, 0x2e), 'OrderedDict takes at most a list of pairs here', 30);
  bad(p2(OD, 0x4e, 0x85, 0x52, 0x2e), 'OrderedDict takes at most a list of pairs here', 29);
  bad(p2(OD, 0x5d, 0x4e, 0x61, 0x85, 0x52, 0x2e), 'OrderedDict takes a list of (key, value) pairs', 31);
  bad(p2(OD, 0x5d, 0x4b, 1, 0x4b, 2, 0x4b, 3, 0x87, 0x61, 0x85, 0x52, 0x2e), 'OrderedDict takes a list of (key, value) pairs', 37);
  bad(p2(OD, 0x5d, 0x4e, 0x4b, 1, 0x86, 0x61, 0x85, 0x52, 0x2e), 'a dict key is neither a string nor an integer', 34);
  bad(p2(G('torch', 'FloatStorage'), 0x29, 0x52, 0x2e), 'calls torch.FloatStorage, which only names a storage type', 23);
  bad(p2(0x8c, 5, 'torch', 0x8c, 11, 'BoolStorage', 0x93, 0x29, 0x81, 0x2e), 'calls torch.BoolStorage, which only names a storage type', 24);
  bad(p2(0x4e, 0x4e, 0x93, 0x2e), 'STACK_GLOBAL without two strings', 4);
  bad(p2(0x8c, 1, 'a', 0x4e, 0x93, 0x2e), 'STACK_GLOBAL without two strings', 6);
  bad(p2(0x4e, 0x8c, 1, 'a', 0x93, 0x2e), 'STACK_GLOBAL without two strings', 6);
  bad(p2('cos'), 'truncated (a GLOBAL name has no newline)', 3);
  bad(p2('ctorch\nFloatStorage'), 'truncated (a GLOBAL name has no newline)', 9);
  assert.deepEqual(load(p2(G('torch', 'HalfStorage'), 0x2e)), new PyGlobal('torch', 'HalfStorage'));
  const allowed = 'collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch._utils._rebuild_parameter_with_state';
  bad(p2(G('os', 'system'), 0x2e), `refused: the pickle names the global 'os.system', which a state dict never needs (only ${allowed} and torch storage types are read; nothing was run)`, 2);
  for (const storage of ['FloatStorage', 'HalfStorage', 'BFloat16Storage', 'DoubleStorage', 'LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage']) {
    assert.deepEqual(load(p2(G('torch', storage), 0x2e)), new PyGlobal('torch', storage));
  }
});

test('unpickler: stack, mark and container misuse is one line with the byte it stopped at', () => {
  bad(p2(0x01), 'opcode 0x01 is not one torch.save writes for a state dict', 2);
  bad(p2(0x32), 'reads an empty stack', 2);
  bad(p2(0x74), 'has no MARK to pop to', 2);
  bad(p2(0x2e), 'stops with 0 values on the stack', 2);
  bad(p2(0x4e, 0x4e, 0x2e), 'stops with 2 values on the stack', 4);
  bad(p2(0x28, 0x4e, 0x2e), 'stops with 1 values on the stack', 4);
  bad(p2(0x85), 'builds a 1-tuple from 0 values', 2);
  bad(p2(0x4e, 0x86), 'builds a 2-tuple from 1 values', 3);
  bad(p2(0x4e, 0x4e, 0x87), 'builds a 3-tuple from 2 values', 4);
  bad(p2(0x5d, 0x4e, 0x4e, 0x73), 'sets items on something that is not a dict', 5);
  bad(p2(0x7d, 0x28, 0x4e, 0x75), 'sets items from an odd number of values', 5);
  bad(p2(0x28, 0x4e, 0x64), 'sets items from an odd number of values', 4);
  bad(p2(0x7d, 0x4e, 0x4e, 0x73), 'a dict key is neither a string nor an integer', 5);
  bad(p2(0x7d, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x4e, 0x73), 'a dict key is neither a string nor an integer', 13);
  bad(p2(0x7d, 0x8a, 7, 0, 0, 0, 0, 0, 0, 0x20, 0x4e, 0x73), 'a dict key is neither a string nor an integer', 13); // 2**53
  bad(p2(0x7d, 0x4e, 0x61), 'appends to something that is not a list', 4);
  bad(p2(0x7d, 0x28, 0x4e, 0x65), 'appends to something that is not a list', 5);
  bad(p2(0x5d, 0x4e, 0x62), 'sets the state of something that is not a dict', 4);
  bad(p2(0x6a, 0x70, 0x11, 1, 0, 0x2e), 'reads memo slot 70000, which was never set', 2);
});
