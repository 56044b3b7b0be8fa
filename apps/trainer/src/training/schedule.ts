/**
 * Learning-rate schedules of sentence-transformers' fit() (`_get_scheduler`), as a multiplier
 * of the base learning rate at optimizer step `step` (0-based: the multiplier used for the
 * step-th update, as torch's LambdaLR with the scheduler stepped after each update).
 */
export const SCHEDULERS = ['constantlr', 'warmupconstant', 'warmuplinear', 'warmupcosine', 'warmupcosinewithhardrestarts'] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export function lrMultiplier(scheduler: Scheduler, step: number, warmupSteps: number, totalSteps: number): number {
  if (scheduler === 'constantlr') return 1;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (scheduler === 'warmupconstant') return 1;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (scheduler === 'warmuplinear') return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  if (scheduler === 'warmupcosine') return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
  // warmupcosinewithhardrestarts, one cycle
  if (progress >= 1) return 0;
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * (progress % 1))));
}
