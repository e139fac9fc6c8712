// One line of `l2p doctor`: what was looked at, what was found, and for a failure the fix. A failure
// that blocks the run asked for makes the command exit non-zero; others are advice.

export interface Check {
  /** What was checked, a few words ("Vulkan loader"). */
  name: string;
  ok: boolean;
  /** What was found (a version, a path, sizes), or why it failed. */
  detail: string;
  /** For a failure: what to do about it, in one sentence. */
  fix?: string;
  /** A failure that stops the run the command was asked about (exit status 1). */
  blocks?: boolean;
}

export const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
export const fail = (name: string, detail: string, fix: string, blocks: boolean): Check => ({ name, ok: false, detail, fix, blocks });

/** `✔ name: detail`, or `✘ name: detail` and an indented `fix:` line. */
export function formatCheck(c: Check): string {
  const head = `${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}`;
  return c.ok || !c.fix ? head : `${head}\n    fix: ${c.fix}`;
}

/** Whether any check blocks the run. */
export function blocked(checks: readonly Check[]): boolean {
  return checks.some((c) => !c.ok && c.blocks);
}
