// The prompt stage's per-epoch learning rate (timm's schedulers as the official train loop steps
// them): lr_scheduler.step(epoch) runs after epoch `epoch`, so epoch e trains at the schedule's value
// for e − 1 (epoch 0 at the base). 'step': base · decay_rate^⌊e / decay_epochs⌋ (StepLRScheduler);
// 'cosine': min_lr + (base − min_lr)(1 + cos(π e / epochs)) / 2 (CosineLRScheduler, one cycle, no
// warm-up); 'constant': base.
import type { L2PConfig } from '../../config/l2p.ts';

type Sched = Pick<L2PConfig, 'sched' | 'decay_epochs' | 'decay_rate' | 'min_lr' | 'num_epochs'>;

export function epochLr(c: Sched, base: number, epoch: number): number {
  const e = Math.max(0, epoch - 1);
  switch (c.sched ?? 'constant') {
    case 'constant':
      return base;
    case 'step':
      return base * Math.pow(c.decay_rate!, Math.floor(e / c.decay_epochs!));
    case 'cosine': {
      const min = c.min_lr!;
      return min + ((base - min) * (1 + Math.cos((Math.PI * e) / c.num_epochs))) / 2;
    }
  }
}
