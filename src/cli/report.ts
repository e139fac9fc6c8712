// `l2p report <workdir> [...]`: one self-contained HTML page (and PNG charts) from one or more runs.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { writeReport } from '../report/html-report.ts';
import { writeSweepPage } from '../sweep/page.ts';
import { isSweepDir } from '../sweep/plan.ts';

const HELP = `usage: l2p report <workdir> [<workdir> ...] [--out report.html] [--no-png]

Writes one HTML page about the runs in the workdirs of \`l2p train\`: per run the accuracy matrix,
avg_acc and forgetting after each task, which prompts each task's test inputs selected, the training
curves and the config; with several runs, a comparison table and the config keys that differ.
A sweep directory of \`l2p sweep\` gets the sweep page instead (DIR/sweep.html, as \`l2p sweep report\`).
The page is self-contained (inline SVG and CSS), so it opens offline and can be mailed as one file.
A run without summary.json (unfinished or stopped) is reported from its metrics.jsonl.
  --out     the HTML file to write (default: <first workdir>/report.html); a PNG of every chart
            is written beside it as report-*.png
  --no-png  write the HTML page only`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', short: 'o' },
      'no-png': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UserError(`at least one workdir is required\n\n${HELP}`);
  if (positionals.length === 1 && isSweepDir(positionals[0])) {
    if (values.out) throw new UserError(`--out does not apply to a sweep directory: its page is always ${positionals[0]}/sweep.html`);
    const w = await writeSweepPage(positionals[0], { png: !values['no-png'] });
    console.log(`sweep report: ${w.html} (with sweep.json and sweep.md)${w.pngs.length ? ` (+ ${w.pngs.length} PNG charts beside it)` : ''}`);
    return 0;
  }
  const r = await writeReport(positionals, { out: values.out, png: !values['no-png'] });
  for (const run of r.runs) if (!run.summary) console.error(`note: '${run.workdir}' has no summary.json; reported from metrics.jsonl`);
  const rel = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p));
  console.log(`report: ${rel(r.html)}${r.pngs.length ? ` (+ ${r.pngs.length} PNG charts beside it)` : ''}`);
  return 0;
}
