// The session cache: identical graphs share one ONNX Runtime session, each compile() gets its own
// handle, and the session closes only when the last handle is disposed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { compile, disposeAll, openSessions, type Compiled } from '../../src/runtime/ort.ts';

after(disposeAll);

const graph = () => ({ y: g.mul(g.input('x', [2]), 3) });
const feeds = { x: { shape: [2], data: Float32Array.of(1, -2) } };
const ran = async (s: Compiled) =>
  Array.from((await s.run(feeds)).y.data as Float32Array);

test("one caller's dispose() leaves the shared session open for the others", async () => {
  await disposeAll();
  const a = await compile(graph());
  const b = await compile(graph());
  assert.equal(openSessions(), 1, 'identical graphs share a session');
  await a.dispose();
  await a.dispose(); // twice is once
  assert.equal(openSessions(), 1);
  assert.deepEqual(await ran(b), [3, -6]);
  await assert.rejects(a.run(feeds), /run\(\) on a disposed session/);
  await b.dispose();
  assert.equal(openSessions(), 0, 'the last dispose closes it');
  await assert.rejects(b.run(feeds), /run\(\) on a disposed session/);

  const c = await compile(graph());
  assert.equal(openSessions(), 1);
  assert.deepEqual(await ran(c), [3, -6], 'a new compile opens a new session');
  await c.dispose();
});

test('different graphs get their own sessions, and disposeAll closes every one', async () => {
  await disposeAll();
  const a = await compile(graph());
  const b = await compile({ y: g.add(g.input('x', [2]), 1) });
  assert.equal(openSessions(), 2);
  await disposeAll();
  assert.equal(openSessions(), 0);
  await assert.rejects(a.run(feeds), /disposed/);
  await assert.rejects(b.run(feeds), /disposed/);
});
