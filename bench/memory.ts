// Peak RSS of the sessions a real run opens, on random weights in the official layout, without data:
// the training step at the batch size, the query and the query-fed evaluation step at the batch size
// and at a last partial batch (each a session of its own), as `l2p train` opens them over a run.
//   npx tsx bench/memory.ts [--model B/16] [--batch 8] [--weights shared|copied] [--device cpu|webgpu]
// 'shared' (the default of every command): one host copy of the backbone fed to every session;
// 'copied': each session holds its own copy (ONNX Runtime initializers), as real runs did before.
import { memoryRun } from './memory-run.ts';

console.log(JSON.stringify(await memoryRun(process.argv.slice(2))));
