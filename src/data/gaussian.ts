// The official Gaussian schedule for task-agnostic CIFAR-100 (input_pipeline.gaussian_schedule,
// after Shanahan et al., arXiv:2105.13327), replayed draw for draw with JAX's PRNG:
//   schedule_length = num_tasks * step_per_task;  episode_length = step_per_task
//   peak_every = schedule_length // num_classes;  width = 50
//   peaks = range(peak_every // 2, schedule_length, peak_every)        (class j peaks at peaks[j])
//   for each episode e in range(schedule_length // episode_length):
//     repeat until at least one class is drawn:
//       for each class j: rng2, rng = split(rng); add j if bernoulli(rng2, exp(-(e·episode_length - peaks[j])² / (2·width²)))
// Integer arithmetic is Python's (floor division, ranges with negative steps): the official config
// passes num_train_steps_per_task = -1, which mirrors everything (peaks at -1, -3, ..., x = -e) and
// so gives class j its peak at episode 2j + 1 over 200 episodes. The schedule's key is the second
// half of split(PRNGKey(config.seed)), as create_gaussian_cifar100 draws it.
import { bernoulli, prngKey, split, type Key } from './jax-random.ts';

export interface Episode {
  /** Classes of this episode, in class order (the official `label_set`). */
  labels: number[];
  /** Redraws needed because a pass over the classes drew none. */
  redraws: number;
}

export interface GaussianOptions {
  numClasses?: number;
  /** config.continual.num_tasks: 200 in the official config. */
  numTasks?: number;
  /** config.continual.num_train_steps_per_task: -1 in the official config. */
  stepsPerTask?: number;
  width?: number;
}

const floorDiv = (a: number, b: number) => Math.floor(a / b);

function pyRange(start: number, stop: number, step: number): number[] {
  if (step === 0) throw new RangeError('gaussian schedule: peak spacing is 0 (fewer episodes than classes)');
  const out: number[] = [];
  for (let v = start; step > 0 ? v < stop : v > stop; v += step) out.push(v);
  return out;
}

/** The schedule drawn from `key`; `scheduleKey(seed)` gives the key the official code uses. */
export function gaussianSchedule(key: Key, o: GaussianOptions = {}): Episode[] {
  const numClasses = o.numClasses ?? 100;
  const stepsPerTask = o.stepsPerTask ?? -1;
  const width = o.width ?? 50;
  const scheduleLength = (o.numTasks ?? 200) * stepsPerTask;
  const episodeLength = stepsPerTask;
  const peakEvery = floorDiv(scheduleLength, numClasses);
  const peaks = pyRange(floorDiv(peakEvery, 2), scheduleLength, peakEvery);
  if (peaks.length > numClasses) throw new RangeError(`gaussian schedule: ${peaks.length} peaks for ${numClasses} classes`);
  const episodes: Episode[] = [];
  let rng = key;
  for (let ep = 0; ep < floorDiv(scheduleLength, episodeLength); ep++) {
    const x = ep * episodeLength;
    const labels: number[] = [];
    let redraws = -1;
    while (labels.length === 0) {
      redraws++;
      for (let j = 0; j < peaks.length; j++) {
        const d = (x - peaks[j]) ** 2 / (2 * width ** 2);
        const p = Math.fround(Math.exp(Math.fround(-d)));
        const [draw, next] = split(rng);
        rng = next;
        if (bernoulli(draw, p)) labels.push(j);
      }
    }
    episodes.push({ labels, redraws });
  }
  return episodes;
}

/** The key create_gaussian_cifar100 passes to gaussian_schedule: split(PRNGKey(seed))[1]. */
export function scheduleKey(seed: number): Key {
  return split(prngKey(seed))[1];
}

export interface ScheduleStats {
  episodes: number;
  meanClasses: number;
  minClasses: number;
  maxClasses: number;
  /** Episodes that needed at least one redraw. */
  redrawnEpisodes: number;
  /** Episodes each class appears in: min, mean, max over classes. */
  appearances: { min: number; mean: number; max: number };
}

export function scheduleStats(episodes: Episode[], numClasses = 100): ScheduleStats {
  const sizes = episodes.map((e) => e.labels.length);
  const per = new Array(numClasses).fill(0);
  for (const e of episodes) for (const l of e.labels) per[l]++;
  return {
    episodes: episodes.length,
    meanClasses: sizes.reduce((a, b) => a + b, 0) / episodes.length,
    minClasses: Math.min(...sizes),
    maxClasses: Math.max(...sizes),
    redrawnEpisodes: episodes.filter((e) => e.redraws > 0).length,
    appearances: { min: Math.min(...per), mean: per.reduce((a, b) => a + b, 0) / numClasses, max: Math.max(...per) },
  };
}
