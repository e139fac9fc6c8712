// The check every runtime makes of a fed input before handing it to ONNX Runtime (Node or the page's
// onnxruntime-web): present, of the graph's static shape, with as many values as that shape holds.
import { numel, type Shape } from '../graph/tensor.ts';

/** The fed value for graph input `spec`, or one error naming the input and both shapes. */
export function checkedFeed<F extends { shape: readonly number[]; data: { length: number } }>(spec: { name: string; shape: Shape }, f: F | undefined): F {
  if (!f) throw new Error(`run: input '${spec.name}' was not fed`);
  const ok = f.shape.length === spec.shape.length && f.shape.every((d, i) => d === spec.shape[i]) && f.data.length === numel(spec.shape);
  if (!ok) throw new Error(`run: input '${spec.name}' fed [${f.shape.join(', ')}], graph expects [${spec.shape.join(', ')}]`);
  return f;
}
