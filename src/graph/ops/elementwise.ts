// Elementwise primitives with numpy broadcasting. Their gradients come out in the broadcast shape;
// autodiff sums them back to each input's shape in one place.
import { broadcastShapes, map, ShapeError } from '../ndarray.ts';
import type { OpName } from '../op-names.ts';
import { defineOp, GraphError, sameDtype, requireDtype } from '../op.ts';
import type { DType, Tensor } from '../tensor.ts';
import { scalar } from './source.ts';

export type Operand = Tensor | number;

/** A number operand becomes a scalar constant of the other operand's dtype. */
function pair(a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new GraphError('elementwise op on two numbers');
  const ta = typeof a === 'number' ? scalar(a, (b as Tensor).dtype) : a;
  const tb = typeof b === 'number' ? scalar(b, ta.dtype) : b;
  return [ta, tb];
}

function broadcastInfer(name: string, xs: readonly Tensor[], outDtype?: DType) {
  try {
    let shape = xs[0].shape as number[];
    for (const x of xs.slice(1)) shape = broadcastShapes(shape, x.shape, name);
    const dtype = outDtype ?? sameDtype(name, xs[0], xs[1]);
    return { shape, dtype };
  } catch (e) {
    if (e instanceof ShapeError) throw new GraphError(e.message);
    throw e;
  }
}

type BinaryRule = (g: Tensor, a: Tensor, b: Tensor, out: Tensor, needed: readonly boolean[]) => (Tensor | null)[];

function binaryOp(name: OpName, onnx: string, f: (a: number, b: number) => number, vjp?: BinaryRule, outDtype?: DType) {
  const op = defineOp<Record<string, never>>({
    name,
    infer: (xs) => broadcastInfer(name, xs, outDtype),
    vjp: vjp ? (g, out, _a, needed) => vjp(g, out.inputs[0], out.inputs[1], out, needed) : undefined,
    lower: (ctx, out) => ctx.node(onnx, out.inputs.map((x) => ctx.name(x)))[0],
    evaluate: (xs, _a, out) => map(xs, out.shape, f),
  });
  return (a: Operand, b: Operand): Tensor => op(pair(a, b), {});
}

function unaryOp(name: OpName, onnx: string, f: (x: number) => number, vjp: (g: Tensor, x: Tensor, out: Tensor) => Tensor) {
  const op = defineOp<Record<string, never>>({
    name,
    infer: (xs) => {
      requireDtype(name, xs[0], 'float32');
      return { shape: xs[0].shape, dtype: xs[0].dtype };
    },
    vjp: (g, out) => [vjp(g, out.inputs[0], out)],
    lower: (ctx, out) => ctx.node(onnx, [ctx.name(out.inputs[0])])[0],
    evaluate: (xs, _a, out) => map(xs, out.shape, f),
  });
  return (x: Tensor): Tensor => op([x], {});
}

export const add = binaryOp('add', 'Add', (a, b) => a + b, (g, _a, _b, _o, n) => [n[0] ? g : null, n[1] ? g : null]);
export const sub = binaryOp('sub', 'Sub', (a, b) => a - b, (g, _a, _b, _o, n) => [n[0] ? g : null, n[1] ? neg(g) : null]);
export const mul = binaryOp('mul', 'Mul', (a, b) => a * b, (g, a, b, _o, n) => [n[0] ? mul(g, b) : null, n[1] ? mul(g, a) : null]);
export const div = binaryOp('div', 'Div', (a, b) => a / b, (g, a, b, out, n) => [
  n[0] ? div(g, b) : null,
  n[1] ? neg(div(mul(g, out), b)) : null,
]);
export const pow = binaryOp('pow', 'Pow', (a, b) => Math.pow(a, b), (g, a, b, out, n) => [
  n[0] ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
  n[1] ? mul(g, mul(out, log(a))) : null,
]);
/** Elementwise maximum; at ties the gradient goes to the first operand. */
export const maximum = binaryOp('maximum', 'Max', (a, b) => Math.max(a, b), (g, a, b, _o, n) => {
  const first = greaterEqual(a, b);
  return [n[0] ? where(first, g, 0) : null, n[1] ? where(first, 0, g) : null];
});

export const equal = binaryOp('equal', 'Equal', (a, b) => (a === b ? 1 : 0), undefined, 'bool');
export const less = binaryOp('less', 'Less', (a, b) => (a < b ? 1 : 0), undefined, 'bool');
export const greater = binaryOp('greater', 'Greater', (a, b) => (a > b ? 1 : 0), undefined, 'bool');
export const greaterEqual = binaryOp('greaterEqual', 'GreaterOrEqual', (a, b) => (a >= b ? 1 : 0), undefined, 'bool');

export const neg = unaryOp('neg', 'Neg', (x) => -x, (g) => neg(g));
export const exp = unaryOp('exp', 'Exp', Math.exp, (g, _x, out) => mul(g, out));
export const log = unaryOp('log', 'Log', Math.log, (g, x) => div(g, x));
export const tanh = unaryOp('tanh', 'Tanh', Math.tanh, (g, _x, out) => mul(g, sub(1, mul(out, out))));
export const sigmoid = unaryOp('sigmoid', 'Sigmoid', (x) => 1 / (1 + Math.exp(-x)), (g, _x, out) => mul(g, mul(out, sub(1, out))));
export const sqrt = unaryOp('sqrt', 'Sqrt', Math.sqrt, (g, _x, out) => div(mul(g, 0.5), out));
/** The error function; d/dx erf(x) = 2/√π · exp(−x²). */
export const erf = unaryOp('erf', 'Erf', erfValue, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));

/**
 * erf in float64 for the reference interpreter (JavaScript has no Math.erf): below |x| = 3 the series
 * erf(x) = 2/√π · exp(−x²) · Σ 2ⁿx²ⁿ⁺¹ / (1·3···(2n+1)), whose terms are all positive; beyond, 1 − erfc(x)
 * with erfc's continued fraction. Both agree with the exact value to about 1e-15.
 */
function erfValue(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= (2 * a * a) / (2 * n + 1);
      sum += term;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
  }
  // erfc(a) = exp(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated from the tail.
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}

const whereOp = defineOp<Record<string, never>>({
  name: 'where',
  infer: (xs) => {
    requireDtype('where', xs[0], 'bool');
    const { shape } = broadcastInfer('where', xs, xs[1].dtype);
    return { shape, dtype: sameDtype('where', xs[1], xs[2]) };
  },
  vjp: (g, out, _a, n) => {
    const c = out.inputs[0];
    return [null, n[1] ? where(c, g, 0) : null, n[2] ? where(c, 0, g) : null];
  },
  lower: (ctx, out) => ctx.node('Where', out.inputs.map((x) => ctx.name(x)))[0],
  evaluate: (xs, _a, out) => map(xs, out.shape, (c, a, b) => (c !== 0 ? a : b)),
});

/** Picks `a` where `cond` holds, else `b` (broadcasting all three). */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const [ta, tb] = pair(a, b);
  return whereOp([cond, ta, tb], {});
}

const castOp = defineOp<{ to: DType }>({
  name: 'cast',
  infer: (xs, a) => ({ shape: xs[0].shape, dtype: a.to }),
  // No gradient rule: a cast always changes the dtype (cast() returns a float32 input as it is), so
  // one side is not float32, and autodiff passes gradients only between float32 tensors.
  lower: (ctx, out, a) => ctx.node('Cast', [ctx.name(out.inputs[0])], { to: onnxTypeCode(a.to) })[0],
  evaluate: (xs, a, out) =>
    map(xs, out.shape, (x) => (a.to === 'bool' ? (x !== 0 ? 1 : 0) : a.to === 'float32' ? x : Math.trunc(x))),
});

export function cast(x: Tensor, to: DType): Tensor {
  return x.dtype === to ? x : castOp([x], { to });
}

const stopOp = defineOp<Record<string, never>>({
  name: 'stopGradient',
  infer: (xs) => ({ shape: xs[0].shape, dtype: xs[0].dtype }),
  lower: (ctx, out) => ctx.node('Identity', [ctx.name(out.inputs[0])])[0],
  evaluate: (xs) => xs[0],
});

/** The identity, but no gradient flows through it. */
export function stopGradient(x: Tensor): Tensor {
  return stopOp([x], {});
}

export function onnxTypeCode(d: DType): number {
  return { float32: 1, int8: 3, int32: 6, int64: 7, bool: 9 }[d];
}
