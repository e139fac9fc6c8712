// The page's run in IndexedDB: one record, the whole snapshot (typed arrays are stored as they are).
// A write that fails (a full quota, storage disabled) leaves the run in the page and says why.
import type { RunSnapshot } from './run.ts';

const DB = 'l2p-ts';
const STORE = 'runs';
const KEY = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((ok, fail) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

function tx<T>(mode: IDBTransactionMode, act: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((ok, fail) => {
        const t = db.transaction(STORE, mode);
        const req = act(t.objectStore(STORE));
        t.oncomplete = () => {
          db.close();
          ok(req.result);
        };
        t.onerror = t.onabort = () => {
          db.close();
          fail(t.error ?? req.error);
        };
      }),
  );
}

export class StorageFull extends Error {}

export async function saveRun(s: RunSnapshot): Promise<void> {
  try {
    await tx('readwrite', (st) => st.put(s, KEY));
  } catch (e) {
    const name = (e as DOMException | null)?.name;
    if (name === 'QuotaExceededError') throw new StorageFull('the browser storage for this page is full: the run stays here but is not saved across reloads (export it, or free space)');
    throw new Error(`the run could not be saved in the browser (${name ?? 'unknown error'}: ${(e as Error | null)?.message ?? ''}); it stays in this page`);
  }
}

export async function loadRun(): Promise<RunSnapshot | undefined> {
  return (await tx('readonly', (st) => st.get(KEY))) as RunSnapshot | undefined;
}

export async function clearRun(): Promise<void> {
  await tx('readwrite', (st) => st.delete(KEY));
}
