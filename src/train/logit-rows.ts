// Host-side reductions over rows of logits with a class mask: the prediction, the cross-entropy, and
// training accuracy as the official metric counts it.

/** The masked argmax of one row of logits (-1 when the mask is empty). */
export function argmax(row: Float32Array, mask: Uint8Array): number {
  let best = -1;
  for (let k = 0; k < row.length; k++) if (mask[k] && (best < 0 || row[k] > row[best])) best = k;
  return best;
}

export function crossEntropy(row: Float32Array, label: number, mask: Uint8Array): number {
  let mx = -Infinity;
  for (let k = 0; k < row.length; k++) if (mask[k]) mx = Math.max(mx, row[k]);
  let s = 0;
  for (let k = 0; k < row.length; k++) if (mask[k]) s += Math.exp(row[k] - mx);
  return mask[label] ? mx + Math.log(s) - row[label] : Infinity;
}

/** Training accuracy as the official metric counts it: argmax of the (masked) training logits. */
export function countCorrect(logits: Float32Array, labels: Int32Array, c: number, mask: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmax(logits.subarray(i * c, (i + 1) * c), mask) === labels[i]) correct++;
  return correct;
}
