// The config keys SimpleCIL reads: none of the methods' (no prompts, no trained head, no step); every
// method key is refused under it unless at its default.
import type { KeyTable } from '../../config/keys.ts';

export const SIMPLECIL_KEYS: KeyTable = { reads: [] };
