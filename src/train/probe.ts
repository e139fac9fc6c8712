// A linear probe: how well a frozen backbone's pre_logits separate a labelled dataset's classes.
// Features are standardised; multinomial logistic regression is fitted by full-batch Adam with a
// small L2 penalty, in plain TypeScript (D × C weights: a few thousand numbers).

export interface ProbeResult {
  trainAccuracy: number;
  testAccuracy: number;
}

function standardise(train: Float32Array, test: Float32Array, d: number): void {
  const n = train.length / d;
  for (let j = 0; j < d; j++) {
    let mu = 0;
    for (let i = 0; i < n; i++) mu += train[i * d + j];
    mu /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (train[i * d + j] - mu) ** 2;
    const sd = Math.sqrt(v / n) || 1;
    for (const x of [train, test]) for (let i = 0; i < x.length / d; i++) x[i * d + j] = (x[i * d + j] - mu) / sd;
  }
}

function logits(x: Float32Array, i: number, w: Float64Array, b: Float64Array, d: number, c: number, out: Float64Array): void {
  for (let k = 0; k < c; k++) {
    let s = b[k];
    for (let j = 0; j < d; j++) s += x[i * d + j] * w[j * c + k];
    out[k] = s;
  }
}

function accuracy(x: Float32Array, y: Int32Array, w: Float64Array, b: Float64Array, d: number, c: number): number {
  const z = new Float64Array(c);
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    logits(x, i, w, b, d, c, z);
    let best = 0;
    for (let k = 1; k < c; k++) if (z[k] > z[best]) best = k;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

/** Fits on (trainX [N, D], trainY) and reports accuracies; the inputs are standardised in place. */
export function linearProbe(trainX: Float32Array, trainY: Int32Array, testX: Float32Array, testY: Int32Array, d: number, c: number, iters = 300, l2 = 1e-4): ProbeResult {
  standardise(trainX, testX, d);
  const w = new Float64Array(d * c);
  const b = new Float64Array(c);
  const mw = new Float64Array(d * c);
  const vw = new Float64Array(d * c);
  const mb = new Float64Array(c);
  const vb = new Float64Array(c);
  const z = new Float64Array(c);
  const n = trainY.length;
  const lr = 0.05;
  for (let t = 1; t <= iters; t++) {
    const gw = new Float64Array(d * c);
    const gb = new Float64Array(c);
    for (let i = 0; i < n; i++) {
      logits(trainX, i, w, b, d, c, z);
      let mx = -Infinity;
      for (let k = 0; k < c; k++) mx = Math.max(mx, z[k]);
      let s = 0;
      for (let k = 0; k < c; k++) s += (z[k] = Math.exp(z[k] - mx));
      for (let k = 0; k < c; k++) {
        const gk = (z[k] / s - (k === trainY[i] ? 1 : 0)) / n;
        gb[k] += gk;
        for (let j = 0; j < d; j++) gw[j * c + k] += gk * trainX[i * d + j];
      }
    }
    for (let q = 0; q < w.length; q++) gw[q] += l2 * w[q];
    const bc1 = 1 - 0.9 ** t;
    const bc2 = 1 - 0.999 ** t;
    for (let q = 0; q < w.length; q++) {
      mw[q] = 0.9 * mw[q] + 0.1 * gw[q];
      vw[q] = 0.999 * vw[q] + 0.001 * gw[q] * gw[q];
      w[q] -= (lr * mw[q]) / bc1 / (Math.sqrt(vw[q] / bc2) + 1e-8);
    }
    for (let k = 0; k < c; k++) {
      mb[k] = 0.9 * mb[k] + 0.1 * gb[k];
      vb[k] = 0.999 * vb[k] + 0.001 * gb[k] * gb[k];
      b[k] -= (lr * mb[k]) / bc1 / (Math.sqrt(vb[k] / bc2) + 1e-8);
    }
  }
  return { trainAccuracy: accuracy(trainX, trainY, w, b, d, c), testAccuracy: accuracy(testX, testY, w, b, d, c) };
}
