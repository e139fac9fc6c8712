// docs/results.md holds exactly the tables scripts/results-table.mjs generates from docs/results.json,
// so a number changed in one place and not the other fails here; and the generator renders a row as
// written by hand, and refuses a document without its markers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
// @ts-expect-error: a plain ES module script without type declarations
import { END, README_END, README_START, renderReadme, renderResults, spliceResults, START } from '../../scripts/results-table.mjs';

test('docs/results.md equals the tables generated from docs/results.json', () => {
  const doc = readFileSync('docs/results.md', 'utf8');
  const table = renderResults(JSON.parse(readFileSync('docs/results.json', 'utf8')));
  assert.equal(doc, spliceResults(doc, table), 'run: node scripts/results-table.mjs --write');
});

test("the README's table of methods equals the one generated from docs/results.json", () => {
  const doc = readFileSync('README.md', 'utf8');
  const results = JSON.parse(readFileSync('docs/results.json', 'utf8'));
  assert.equal(doc, spliceResults(doc, renderReadme(results), README_START, README_END, 'README.md'), 'run: node scripts/results-table.mjs --write');
  // every method the demo runs has its row there, measured on the machine the README's table names
  const methods = [...doc.matchAll(/`npx l2p demo --method (\S+)`/g)].map((m) => m[1]);
  for (const m of ['simplecil', 'aper', 'ranpac']) assert.ok(methods.includes(m), `README lacks the ${m} row`);
});

test('the README table keeps one row per demo method, l2p for the plain command, and skips other commands', () => {
  const results = { readme: 'x', tables: [{ id: 'x', title: 'Split-MNIST demo on here', rows: [
    { command: 'npx l2p demo', avg_acc: '1.00', forgetting: '2.00' },
    { command: 'npx l2p demo --set num_epochs=1', avg_acc: '3.00' },
    { command: 'npx l2p demo --method ranpac', avg_acc: '4.00' },
  ] }] };
  assert.deepEqual(renderReadme(results).split('\n').slice(2, 6), [
    '| method | command | avg_acc | forgetting |', '|---|---|---|---|',
    '| l2p | `npx l2p demo` | 1.00 | 2.00 |', '| ranpac | `npx l2p demo --method ranpac` | 4.00 | – |',
  ]);
  assert.throws(() => renderReadme({ readme: 'y', tables: [] }), /names no table/);
});

test('a row renders as a hand-written table row, missing values as a dash', () => {
  const table = renderResults({ tables: [{ title: 'T', where: 'here', code: 'today', rows: [{ run: 'r', command: 'npx l2p demo', avg_acc: '1.00' }] }] });
  assert.equal(table, [
    '### T', '', 'Measured on here; today.', '',
    '| run | command | avg_acc | forgetting | prompt selection | wall time |',
    '|---|---|---|---|---|---|',
    '| r | `npx l2p demo` | 1.00 | – | – | – |', '',
  ].join('\n'));
});

test('splicing replaces only the text between the markers, and a document without them is refused', () => {
  const doc = `head\n${START}\nold\n${END}\ntail\n`;
  assert.equal(spliceResults(doc, 'new\n'), `head\n${START}\n\nnew\n\n${END}\ntail\n`);
  assert.throws(() => spliceResults('no markers', 'x'), /markers/);
});
