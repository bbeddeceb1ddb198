/**
 * Catastrophic overfitting (Wong, Rice and Kolter, 2020): within an epoch or two of single-step
 * adversarial training, accuracy under PGD collapses towards zero while accuracy under FGSM jumps,
 * because the model learns to mask the gradient FGSM follows. Judged from per-epoch accuracies.
 */
export interface RobustAccuracies {
  readonly fgsm: number;
  readonly pgd: number;
}

/** A short explanation when the latest epoch shows catastrophic overfitting, else undefined. */
export function catastrophicOverfitting(history: readonly RobustAccuracies[]): string | undefined {
  const latest = history[history.length - 1];
  if (!latest || history.length < 2) return undefined;
  const bestPgd = Math.max(...history.slice(0, -1).map((h) => h.pgd));
  const collapsed = bestPgd >= 0.1 && latest.pgd < 0.5 * bestPgd;
  const gap = latest.fgsm - latest.pgd;
  if (collapsed && gap > 0.3) {
    return (
      `PGD accuracy fell from ${pct(bestPgd)} to ${pct(latest.pgd)} while FGSM accuracy is ` +
      `${pct(latest.fgsm)}: catastrophic overfitting (Wong et al., 2020). Use PGD training, ` +
      `a smaller FGSM step, or stop at the previous epoch.`
    );
  }
  return undefined;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}
