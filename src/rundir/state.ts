// checkpoints/state.json: the loop's position and the npz beside it that holds the tensors. It is
// written atomically after its npz, so whenever it exists it is whole; one that does not parse was
// damaged outside the run, and reading it is an error naming the file.
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { CHECKPOINT_NAME, runFiles } from './layout.ts';

export interface StateFile<S> {
  version: 1;
  /** The checkpoint npz in the same directory. */
  npz: string;
  /** The loop's position, as the trainer wrote it. */
  loop: S;
  optimizer: { kind: string; step: number };
  /** The checkpoint before this one, whose npz is kept beside it: where a run resumes if this one's npz cannot be read. */
  previous?: { npz: string; loop: S; optimizer: { kind: string; step: number } };
}

export function hasState(workdir: string): boolean {
  return existsSync(runFiles(workdir).state);
}

export function readState<S>(workdir: string): StateFile<S> {
  const file = runFiles(workdir).state;
  let state: Partial<StateFile<S>>;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
  const ok = state !== null && state.version === 1 && isPosition(state) && (state.previous === undefined || isPosition(state.previous));
  if (!ok) throw new UserError(`'${file}' is not a checkpoint state written by this version`);
  return state as StateFile<S>;
}

function isPosition(p: Partial<StateFile<unknown>>): boolean {
  return p !== null && typeof p.npz === 'string' && CHECKPOINT_NAME.test(p.npz) && typeof p.loop === 'object' && p.loop !== null &&
    typeof p.optimizer?.kind === 'string' && Number.isInteger(p.optimizer.step);
}
