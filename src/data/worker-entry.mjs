// Worker threads start without the parent's module hooks, so this plain-JS entry registers tsx
// itself (resolved from this package, whatever the working directory) before loading worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
