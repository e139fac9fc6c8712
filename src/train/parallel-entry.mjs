// A data-parallel worker process starts without the parent's module hooks, so this plain-JS entry
// registers tsx itself (resolved from this package, whatever the working directory) before loading
// parallel-worker.ts. Used only when running from the TypeScript sources; the build (dist/) starts
// parallel-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./parallel-worker.ts');
