// DomainNet as distributed: <root>/<domain>/<class>/<image>.jpg with the split lists
// <root>/<domain>_train.txt and <root>/<domain>_test.txt, one "<domain>/<class>/<file> <label>" a line.
// 345 classes, the same label numbering in every domain.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError, where } from '../../errors.ts';
import { makeDataset } from '../dataset.ts';
import { readImageFile } from '../record.ts';
import type { Dataset, Source } from '../types.ts';

export const DOMAINNET_DOMAINS = ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch'] as const;
export const DOMAINNET_CLASSES = 345;

export function hasDomainNetFolders(root: string, domain: string): boolean {
  return existsSync(join(root, `${domain}_test.txt`));
}

function readList(path: string): { paths: string[]; labels: Int32Array } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${where(path)}: cannot read the DomainNet split list (${(e as NodeJS.ErrnoException).code})`);
  }
  const paths: string[] = [];
  const labels: number[] = [];
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line);
    const label = m ? Number(m[2]) : -1;
    if (!m || label >= DOMAINNET_CLASSES) {
      throw new UserError(`${where(path)}: line ${n + 1} is not "<path> <label below ${DOMAINNET_CLASSES}>"`);
    }
    // A listed name is a path under the root; it may not climb out of it.
    if (isAbsolute(m[1]) || m[1].split(/[\\/]/).includes('..')) {
      throw new UserError(`${where(path)}: line ${n + 1} names '${m[1]}', which is outside the DomainNet directory`);
    }
    paths.push(m[1]);
    labels.push(label);
  });
  return { paths, labels: Int32Array.from(labels) };
}

export function openDomainNetFolders(root: string, domain: string): Dataset {
  if (!(DOMAINNET_DOMAINS as readonly string[]).includes(domain)) {
    throw new UserError(`unknown DomainNet domain '${domain}'; expected one of ${DOMAINNET_DOMAINS.join(', ')}`);
  }
  const files: string[] = [];
  const splits: Parameters<typeof makeDataset>[0]['splits'] = {};
  for (const split of ['train', 'test']) {
    const listPath = join(root, `${domain}_${split}.txt`);
    const { paths, labels } = readList(listPath);
    files.push(listPath);
    const source: Source = {
      description: `domainnet/${domain} ${split}`,
      length: paths.length,
      label: (i) => labels[i],
      locate: (i) => {
        const path = join(root, paths[i]);
        return { kind: 'file', path, listedIn: listPath, origin: where(path) };
      },
      get: async (i) => {
        const path = join(root, paths[i]);
        return { image: { encoded: await readImageFile(path, listPath) }, label: labels[i], origin: where(path) };
      },
    };
    splits[split] = { numExamples: paths.length, open: async () => source };
  }
  return makeDataset({ name: `domainnet/${domain}`, numClasses: DOMAINNET_CLASSES, imageShape: null, files, where: where(root), splits });
}
