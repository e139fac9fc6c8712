// A pool worker: makes a batch's images and transfers them back whole (its buffer moves; nothing is
// copied).
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { UserError } from '../errors.ts';
import { makeImages, type BatchPart } from './process.ts';

// Parallelism comes from the pool; one libvips thread per worker avoids oversubscribing cores.
sharp.concurrency(1);

parentPort!.on('message', async (msg: { id: number; part: BatchPart }) => {
  try {
    const out = await makeImages(msg.part);
    parentPort!.postMessage({ id: msg.id, ok: true, out }, [out.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, ok: false, user: e instanceof UserError, message: (e as Error).message });
  }
});
