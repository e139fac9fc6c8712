// Loaded (with -r) into every test process of a mutation run, before the tap runner's own hook.
// Many tests exercise a folder through child processes (`l2p train`, `l2p demo`, data-parallel
// workers), whose coverage the tap runner never sees: it reads only the test process's. During the
// dry run that measures coverage, this hook passes itself to the children through NODE_OPTIONS;
// each child writes the mutants it reached to a shared folder when it exits, and the test process
// adds them to its own coverage before the tap runner's hook writes it out. Mutant runs need none
// of this: the children read the active mutant from the environment they inherit.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIR = 'L2P_STRYKER_CHILD_COVERAGE';
const ns = () => globalThis[process.env.STRYKER_NAMESPACE ?? '__stryker__'];

if (process.env.STRYKER_DRY_RUN === 'true') {
  if (!process.env[DIR]) {
    // The test process: children report to a fresh folder, merged here at exit.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'l2p-stryker-cov-'));
    process.env[DIR] = dir;
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(__filename)}`.trim();
    process.on('exit', () => {
      const own = ns();
      if (own) {
        own.mutantCoverage ??= { static: {}, perTest: {} };
        for (const name of fs.readdirSync(dir)) {
          let child;
          try {
            child = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
          } catch {
            continue; // a child killed while writing: its coverage is lost, not wrong
          }
          for (const counts of [child.static, ...Object.values(child.perTest ?? {})]) {
            for (const [id, n] of Object.entries(counts ?? {})) own.mutantCoverage.static[id] = (own.mutantCoverage.static[id] ?? 0) + n;
          }
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
  } else {
    process.on('exit', () => {
      const cov = ns()?.mutantCoverage;
      if (cov) fs.writeFileSync(path.join(process.env[DIR], `${process.pid}.json`), JSON.stringify(cov));
    });
  }
}
