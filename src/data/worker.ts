// A pool worker: fills its part of a batch, writing straight into the batch's shared buffer, and
// says when it is done.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { UserError } from '../errors.ts';
import { fillPart, type BatchPart } from './process.ts';

// Parallelism comes from the pool; one libvips thread per worker avoids oversubscribing cores.
sharp.concurrency(1);

parentPort!.on('message', async (msg: { id: number; part: BatchPart; out: Float32Array }) => {
  try {
    await fillPart(msg.part, msg.out);
    parentPort!.postMessage({ id: msg.id, ok: true });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, ok: false, user: e instanceof UserError, message: (e as Error).message });
  }
});
