// Worker threads start without the parent's module hooks: register tsx, then run the fuzz cases.
import { register } from 'tsx/esm/api';

register();
const { serve } = await import('./fuzz-targets.ts');
await serve();
