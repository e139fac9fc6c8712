// l2p report on real smoke runs: the numbers on the page are summary.json's, the page is
// self-contained, the PNGs are real images with text in them, a partial run is reported from
// metrics.jsonl, and headless Chromium renders the page to something that is not blank.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { svgToPng } from '../../src/report/html-report.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const root = tempDir('report');
const dataDir = join(root, 'data');
const runA = join(root, 'cifar');
const runB = join(root, 'five');
const cli = (...a: string[]) => execFileSync(process.execPath, ['bin/l2p.mjs', ...a], { encoding: 'utf8', stdio: 'pipe' });

before(async () => {
  await writePresetData(dataDir);
  const common = ['--set', `data_dir=${dataDir}`, '--workers', '0', '--set', 'num_epochs=2', '--set', 'continual.num_train_steps_per_task=-1'];
  cli('train', '--config', 'cifar100_l2p_smoke', '--workdir', runA, ...common);
  cli('train', '--config', 'five_datasets_l2p_smoke', '--workdir', runB, ...common);
});

interface Element {
  tag: string;
  attrs: Record<string, string>;
  text: string;
}

/** Opening tags that carry `attr`, with their attributes and the text right after them. */
function withAttr(html: string, attr: string): Element[] {
  const out: Element[] = [];
  for (const m of html.matchAll(/<([a-z]+)((?:\s+[\w-]+(?:="[^"]*")?)*)\s*\/?>([^<]*)/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2].matchAll(/([\w-]+)(?:="([^"]*)")?/g)) attrs[a[1]] = a[2] ?? '';
    if (attr in attrs) out.push({ tag: m[1], attrs, text: m[3] });
  }
  return out;
}

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

function checkRunNumbers(html: string, k: number, s: { acc_matrix: number[][]; avg_acc: number; forgetting: number | null; learning_acc: number | null; prompt_usage: number[][]; tasks: number }): void {
  const metrics = withAttr(html, 'data-metric').filter((e) => e.attrs['data-run'] === String(k));
  const shown = (name: string) => metrics.filter((e) => e.attrs['data-metric'] === name).map((e) => e.text);
  assert.ok(shown('avg_acc').length >= 1, `run ${k}: avg_acc is shown`);
  for (const t of shown('avg_acc')) assert.equal(t, s.avg_acc.toFixed(2), `run ${k} avg_acc`);
  for (const t of shown('forgetting')) assert.equal(t, s.forgetting!.toFixed(2), `run ${k} forgetting`);
  for (const t of shown('learning_acc')) assert.equal(t, s.learning_acc!.toFixed(2), `run ${k} learning_acc`);
  assert.ok(shown('forgetting').length >= 1 && shown('learning_acc').length >= 1);

  const cells = withAttr(html, 'data-acc').filter((e) => e.tag === 'text' && e.attrs['data-run'] === String(k));
  assert.equal(cells.length, (s.tasks * (s.tasks + 1)) / 2, `run ${k}: one written cell per i <= t`);
  for (const c of cells) {
    const [i, t] = c.attrs['data-acc'].split(',').map(Number);
    assert.ok(i <= t, `cell ${i},${t} is on or above the diagonal`);
    assert.equal(c.text, s.acc_matrix[i][t].toFixed(2), `run ${k} acc[${i}][${t}]`);
  }
  const usage = withAttr(html, 'data-usage').filter((e) => e.tag === 'rect' && e.attrs['data-run'] === String(k));
  assert.equal(usage.length, s.prompt_usage.reduce((a, row) => a + row.length, 0));
  for (const u of usage) {
    const [i, p] = u.attrs['data-usage'].split(',').map(Number);
    assert.equal(Number(u.attrs['data-count']), s.prompt_usage[i][p], `run ${k} usage[${i}][${p}]`);
  }
}

test('the report shows the numbers of summary.json, for each run compared', async () => {
  const out = join(root, 'cmp', 'report.html');
  const msg = cli('report', runA, runB, '--out', out);
  assert.match(msg, /report: .*report\.html \(\+ 13 PNG charts beside it\)/);
  const html = readFileSync(out, 'utf8');
  checkRunNumbers(html, 0, summaryOf(runA));
  checkRunNumbers(html, 1, summaryOf(runB));
  assert.match(html, /<section id="comparison">/);
  assert.match(html, /Configuration keys that differ[\s\S]*<code>dataset<\/code>/);
  // Self-contained: nothing is fetched when the page is opened.
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(["']?(https?:|\/\/)/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  for (const png of ['report-cifar-acc-matrix.png', 'report-five-prompt-usage.png', 'report-compare-avg-acc.png']) {
    const meta = await sharp(join(root, 'cmp', png)).metadata();
    assert.equal(meta.format, 'png', png);
    assert.ok(meta.width! > 300 && meta.height! > 150, `${png}: ${meta.width}x${meta.height}`);
  }
});

test('one run: report.html and the PNGs go into the workdir by default', () => {
  cli('report', runA);
  for (const f of ['report.html', 'report-acc-matrix.png', 'report-task-curve.png', 'report-task-metrics.png', 'report-prompt-usage.png', 'report-loss.png', 'report-accuracy.png']) {
    assert.ok(existsSync(join(runA, f)), f);
  }
  checkRunNumbers(readFileSync(join(runA, 'report.html'), 'utf8'), 0, summaryOf(runA));
});

test('text in the PNG charts is rendered (librsvg finds a font)', async () => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/><text x="8" y="28" font-size="20" font-family="'DejaVu Sans', sans-serif" fill="#000">avg_acc 12.50</text></svg>`;
  const { data } = await sharp(await svgToPng(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
  const dark = data.filter((v) => v < 128).length;
  assert.ok(dark > 200, `only ${dark} dark pixels: no font for librsvg? (install fonts-dejavu-core)`);
});

test('a run without summary.json is reported from metrics.jsonl, with a note', () => {
  const partial = join(root, 'partial');
  mkdirSync(partial);
  copyFileSync(join(runA, 'config.json'), join(partial, 'config.json'));
  const lines = readFileSync(join(runA, 'metrics.jsonl'), 'utf8').trim().split('\n');
  // Task 0's evaluations and the first of task 1, then a line cut short by a kill.
  const kept = lines.filter((l) => JSON.parse(l).task === 0);
  const firstOfTask1 = lines.find((l) => JSON.parse(l).task === 1)!;
  writeFileSync(join(partial, 'metrics.jsonl'), [...kept, firstOfTask1, '{"task":1,"st'].join('\n'));
  const out = join(root, 'partial-report.html');
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'report', partial, '--out', out, '--no-png'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /has no summary\.json; reported from metrics\.jsonl/);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /class="note">No summary\.json/);
  const last = JSON.parse(firstOfTask1).accuracy as number[];
  const cells = withAttr(html, 'data-acc').filter((e) => e.tag === 'text');
  const cell = (i: number, t: number) => cells.find((c) => c.attrs['data-acc'] === `${i},${t}`)?.text;
  assert.equal(cell(0, 1), last[0].toFixed(2));
  assert.equal(cell(1, 1), last[1].toFixed(2));
  assert.equal(cell(0, 0), (JSON.parse(kept[kept.length - 1]).accuracy[0] as number).toFixed(2));
  assert.ok(!existsSync(join(root, 'report-acc-matrix.png')), '--no-png writes no PNG');
});

test('a directory without results is named in the error', () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'report', empty], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`l2p report: '${empty}' holds no results: neither summary\\.json nor metrics\\.jsonl`));
  const none = spawnSync(process.execPath, ['bin/l2p.mjs', 'report'], { encoding: 'utf8' });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /at least one workdir is required/);
});

function findChromium(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  assert.fail('headless Chromium is needed to check the rendered report, and none is installed: apt-get install -y chromium (Debian package "chromium")');
}

test('headless Chromium renders the report to a page that is not blank', async () => {
  const chromium = findChromium();
  const html = join(runA, 'report.html');
  if (!existsSync(html)) cli('report', runA);
  const shot = join(root, 'screenshot.png');
  const profile = tempDir('chromium-profile');
  const r = spawnSync(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--screenshot=${shot}`, '--window-size=1200,1600', `file://${html}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  rmSync(profile, { recursive: true, force: true });
  assert.ok(existsSync(shot), `chromium wrote no screenshot (status ${r.status}): ${r.stderr.slice(-2000)}`);
  const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 1200);
  let inked = 0;
  let coloured = 0;
  let sum = 0;
  let sumSq = 0;
  for (let p = 0; p < data.length; p += 3) {
    const [r8, g8, b8] = [data[p], data[p + 1], data[p + 2]];
    const grey = (r8 + g8 + b8) / 3;
    sum += grey;
    sumSq += grey * grey;
    if (grey < 200) inked++;
    if (Math.max(r8, g8, b8) - Math.min(r8, g8, b8) > 60) coloured++;
  }
  const n = data.length / 3;
  const std = Math.sqrt(sumSq / n - (sum / n) ** 2);
  assert.ok(inked / n > 0.01, `only ${((100 * inked) / n).toFixed(2)}% of the screenshot is ink: the page looks blank`);
  assert.ok(std > 10, `screenshot grey-level std ${std.toFixed(1)}: the page looks blank`);
  assert.ok(coloured > 2000, `only ${coloured} coloured pixels: the charts did not render`);
  console.log(`screenshot: ${shot} (${((100 * inked) / n).toFixed(1)}% ink, ${coloured} coloured pixels)`);
});
