// Reads the real Fashion-MNIST IDX files that Debian's dataset-fashion-mnist package installs.
// CI installs that package; where it is missing this test fails and says how to get it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { openDataset } from '../../src/data/open.ts';
import { labelCounts } from '../../src/data/source.ts';
import { DEBIAN_FASHION_MNIST } from '../../src/data/native/idx.ts';

test("Debian's Fashion-MNIST: 60000/10000 images of 28×28, 10 balanced classes", async () => {
  assert.ok(
    existsSync(`${DEBIAN_FASHION_MNIST}/train-images-idx3-ubyte.gz`),
    `Fashion-MNIST is not installed in ${DEBIAN_FASHION_MNIST}: run 'apt-get install -y dataset-fashion-mnist' (after apt-get update)`,
  );
  const ds = await openDataset('fashion_mnist', { format: 'native' });
  assert.deepEqual([ds.splits, ds.numClasses, ds.imageShape], [{ train: 60000, test: 10000 }, 10, [28, 28, 1]]);
  const train = await ds.source('train');
  const test = await ds.source('test');
  assert.deepEqual([...labelCounts(train).values()].sort(), new Array(10).fill(6000));
  assert.deepEqual([...labelCounts(test).values()].sort(), new Array(10).fill(1000));
  // The first test images are an ankle boot, a pullover and a trouser.
  assert.deepEqual([test.label(0), test.label(1), test.label(2)], [9, 2, 1]);
  const first = await test.get(0);
  assert.ok('pixels' in first.image && first.image.pixels.data.length === 784);
});
