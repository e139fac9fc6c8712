// metrics.jsonl: one JSON record per evaluation, appended as the run goes. A kill can cut the last
// line short (it is then dropped, and a resume says so); any other line that is not a record is an
// error naming the line.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { runFiles } from './layout.ts';

/** One line of metrics.jsonl: the training window before an evaluation and the evaluation. */
export interface EvalRecord {
  task: number;
  step: number;
  global_step: number;
  /** Mean training loss over the steps since the previous evaluation. */
  loss: number;
  /** Training accuracy over the same steps, a fraction in [0, 1]. */
  train_accuracy: number;
  /** Test accuracy (%) of each task evaluated (only task 0's set when the test set is shared). */
  accuracy: number[];
  elapsed_s: number;
}

export function appendMetrics(workdir: string, record: EvalRecord): void {
  appendFileSync(runFiles(workdir).metrics, `${JSON.stringify(record)}\n`);
}

interface Line {
  text: string;
  record: EvalRecord;
}

/** The records, and the number of a last line that a kill cut short (null when there is none). */
function parseLines(file: string): { lines: Line[]; cut: number | null } {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // The text after the last newline: empty, or a line a kill cut short.
  const tail = lines.pop()!;
  const out: Line[] = [];
  const check = (line: string, n: number): EvalRecord | null => {
    let r: Partial<EvalRecord>;
    try {
      r = JSON.parse(line);
    } catch {
      return null;
    }
    const ok = r !== null && Number.isInteger(r.task) && Number.isInteger(r.global_step) && Array.isArray(r.accuracy) && r.accuracy.every((a) => typeof a === 'number');
    if (!ok) throw new UserError(`'${file}' line ${n}: not a metrics record (it needs integer task and global_step and an accuracy list)`);
    return r as EvalRecord;
  };
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const record = check(line, i + 1);
    if (!record) throw new UserError(`'${file}' line ${i + 1} is not valid JSON: ${line.length > 60 ? `${line.slice(0, 60)}…` : line}`);
    out.push({ text: line, record });
  });
  let cut: number | null = null;
  if (tail.trim()) {
    const record = check(tail, lines.length + 1);
    if (record) out.push({ text: tail, record });
    else cut = lines.length + 1;
  }
  return { lines: out, cut };
}

/** The records of a metrics.jsonl file; a last line cut short by a kill is left out. */
export function readMetrics(file: string): EvalRecord[] {
  return parseLines(file).lines.map((l) => l.record);
}

/**
 * Drops records written after the checkpoint a run resumes from, so a resumed file equals an
 * uninterrupted one. Returns a warning when a last line cut short by a kill was among them.
 */
export function trimMetrics(workdir: string, globalStep: number): string | null {
  const file = runFiles(workdir).metrics;
  if (!existsSync(file)) return null;
  const { lines, cut } = parseLines(file);
  const keep = lines.filter((l) => l.record.global_step <= globalStep);
  writeFileAtomic(file, keep.map((l) => `${l.text}\n`).join(''));
  return cut === null ? null : `'${file}' line ${cut} is a record cut short (the run was stopped while writing it): dropped`;
}
