// Which of the three checkpoint formats a file is, from its bytes (never its name): a zip of .npy
// members (npz), a zip holding `<archive>/data.pkl` (torch.save since 1.6), or a safetensors header.
import * as fs from 'node:fs';
import { UserError, where } from '../errors.ts';
import { looksLikeSafetensors } from './safetensors.ts';
import { torchArchiveFolder } from './torch-zip.ts';
import { ZipFile, fileError } from './zip-reader.ts';

export type CheckpointFormat = 'npz' | 'torch' | 'safetensors';
export const FORMAT_NAMES: Record<CheckpointFormat, string> = { npz: 'npz', torch: 'PyTorch zip', safetensors: 'safetensors' };

export function checkpointFormat(path: string): CheckpointFormat {
  let head: Uint8Array;
  let size: number;
  try {
    const fd = fs.openSync(path, 'r');
    try {
      const stat = fs.fstatSync(fd);
      if (stat.isDirectory()) throw new UserError(`${where(path)} is a directory, not a checkpoint file`);
      size = stat.size;
      head = new Uint8Array(16);
      head = head.subarray(0, fs.readSync(fd, head, 0, 16, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw fileError(path, e);
  }
  // 'PK\3\4' starts a zip with entries, 'PK\5\6' an empty one.
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) {
    const zip = ZipFile.open(path, 'zip archive');
    try {
      return torchArchiveFolder(zip.entries) !== undefined ? 'torch' : 'npz';
    } finally {
      zip.close();
    }
  }
  if (looksLikeSafetensors(head, size)) return 'safetensors';
  // torch.save before 1.6 (or with _use_new_zipfile_serialization=False) writes a bare pickle.
  if (head[0] === 0x80 && head[1] === 0x02 && head[2] === 0x8a) {
    throw new UserError(`${where(path)} is a PyTorch checkpoint in the legacy (pre-1.6) format; re-save it with torch.save(torch.load(f), g) from PyTorch 1.6 or later`);
  }
  throw new UserError(`${where(path)} is not a checkpoint: neither an npz, a PyTorch zip (torch.save) nor a safetensors file`);
}
