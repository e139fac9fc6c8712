// Run by lock-holders.test.ts as a child: takes the run lock of argv[2] as an unprivileged user
// (dropping to nobody when started as root) and prints the outcome as one line.
import { lockRun } from '../../src/rundir/lock.ts';

if (process.getuid?.() === 0) {
  process.setgid!(65534);
  process.setuid!(65534);
}
try {
  lockRun(process.argv[2]);
  console.log('taken');
} catch (e) {
  console.log((e as Error).message);
}
