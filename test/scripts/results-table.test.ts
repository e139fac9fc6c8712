// docs/results.md holds exactly the tables scripts/results-table.mjs generates from docs/results.json,
// so a number changed in one place and not the other fails here; and the generator renders a row as
// written by hand, and refuses a document without its markers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
// @ts-expect-error: a plain ES module script without type declarations
import { END, renderResults, spliceResults, START } from '../../scripts/results-table.mjs';

test('docs/results.md equals the tables generated from docs/results.json', () => {
  const doc = readFileSync('docs/results.md', 'utf8');
  const table = renderResults(JSON.parse(readFileSync('docs/results.json', 'utf8')));
  assert.equal(doc, spliceResults(doc, table), 'run: node scripts/results-table.mjs --write');
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
