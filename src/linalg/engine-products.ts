// Products on the graph engine (ONNX Runtime through src/runtime): float32 matmuls read back as
// float32 (at M = 10,000 a Gram product is 400 MB: the caller adds it into its float64 sums, no copy). One session per shape, kept until dispose(); the Gram accumulator pads its
// chunks to one row count, so a whole stream needs one session.
import * as g from '../graph/index.ts';
import { compile, type Compiled, type HostTensor, type RuntimeOptions } from '../runtime/ort.ts';
import { engineCholesky } from './cholesky-blocked.ts';
import type { Products } from './products.ts';

export class EngineProducts implements Products {
  private sessions = new Map<string, Promise<Compiled>>();
  readonly cholesky: ReturnType<typeof engineCholesky>;

  constructor(private readonly opts: RuntimeOptions = {}, block = 256) {
    this.cholesky = engineCholesky(opts, block);
  }

  private session(key: string, build: () => Record<string, g.Tensor>): Promise<Compiled> {
    let s = this.sessions.get(key);
    if (!s) {
      s = compile(build(), this.opts);
      this.sessions.set(key, s);
    }
    return s;
  }

  async tn(a: Float32Array, b: Float32Array, n: number, p: number, q: number): Promise<Float32Array> {
    const same = a === b && p === q;
    const s = await this.session(`tn ${n} ${p} ${q} ${same}`, () => {
      const x = g.input('a', [n, p]);
      const y = same ? x : g.input('b', [n, q]);
      return { out: g.matmul(g.swapLast(x), y) }; // [p, n] @ [n, q]
    });
    const feeds: Record<string, HostTensor> = { a: { shape: [n, p], data: a } };
    if (!same) feeds.b = { shape: [n, q], data: b };
    return (await s.run(feeds)).out.data as Float32Array;
  }

  async nt(a: Float32Array, b: Float32Array, n: number, p: number, k: number): Promise<Float32Array> {
    const s = await this.session(`nt ${n} ${p} ${k}`, () => {
      const x = g.input('a', [n, k]);
      const y = g.input('b', [p, k]);
      return { out: g.matmul(x, g.swapLast(y)) }; // [n, k] @ [k, p]
    });
    const out = await s.run({ a: { shape: [n, k], data: a }, b: { shape: [p, k], data: b } });
    return out.out.data as Float32Array;
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).dispose();
    await this.cholesky.dispose();
  }
}
