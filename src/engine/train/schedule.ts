/** Learning-rate schedules, as functions of training progress in epochs (fractional). */
export type ScheduleKind = 'cosine' | 'step' | 'cyclic' | 'constant';

export interface Schedule {
  readonly kind: ScheduleKind;
  readonly maxLearningRate: number;
  readonly epochs: number;
}

export function learningRateAt(schedule: Schedule, epoch: number): number {
  const { maxLearningRate: lr, epochs } = schedule;
  const t = Math.min(1, Math.max(0, epoch / Math.max(epochs, 1e-9)));
  switch (schedule.kind) {
    case 'constant':
      return lr;
    // Cosine annealing to zero (Loshchilov and Hutter, 2017).
    case 'cosine':
      return 0.5 * lr * (1 + Math.cos(Math.PI * t));
    // Divide by 10 at half and at three quarters of training (Madry et al.; Rice et al., 2020).
    case 'step':
      return t < 0.5 ? lr : t < 0.75 ? lr / 10 : lr / 100;
    // Triangular one-cycle: up to the maximum at 40%, down to zero at the end (Wong et al., 2020).
    case 'cyclic':
      return t < 0.4 ? lr * (t / 0.4) : lr * Math.max(0, (1 - t) / 0.6);
  }
}
