// A pool worker: runs processImage for each message and posts the result back, transferring it.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { UserError } from '../errors.ts';
import { processImage, type ImageTask } from './process.ts';

// Parallelism comes from the pool; one libvips thread per worker avoids oversubscribing cores.
sharp.concurrency(1);

parentPort!.on('message', async (msg: { id: number; task: ImageTask }) => {
  try {
    const out = await processImage(msg.task);
    parentPort!.postMessage({ id: msg.id, ok: true, out }, [out.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, ok: false, user: e instanceof UserError, message: (e as Error).message });
  }
});
