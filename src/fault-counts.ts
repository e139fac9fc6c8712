// Node only: with L2P_FAULT_COUNTS=<file>, writes the fault hook's counts (src/fault.ts) as JSON when
// the process exits. Imported for its effect by the CLI and the data-parallel worker.
import { writeFileSync } from 'node:fs';
import { faultCounts } from './fault.ts';

const file = process.env.L2P_FAULT_COUNTS;
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify(faultCounts())));
