import type { AttackName } from '../../engine/attacks/autoattack';
import { AUTOATTACK_VERSIONS, type AutoAttackVersion } from '../../engine/attacks/version-names';

/** The workspace state key under which the last AutoAttack version picked is kept. */
export const VERSION_KEY = 'robustnessLens.autoAttackVersion';

/** What each version runs (the engine's autoAttackVersion), for the pick and the run request. */
export const VERSION_ATTACKS: Readonly<Record<AutoAttackVersion, readonly AttackName[]>> = {
  standard: ['apgd-ce', 'apgd-t', 'fab-t', 'square'],
  plus: ['apgd-ce', 'apgd-dlr', 'square', 'apgd-t', 'fab-t'],
  rand: ['apgd-ce', 'apgd-dlr'],
};

/** How the pick describes each version (Croce and Hein, 2020, as their reference code sets them). */
export const VERSION_TEXT: Readonly<
  Record<AutoAttackVersion, { readonly description: string; readonly detail: string }>
> = {
  standard: {
    description: 'APGD-CE, APGD-T, FAB-T, Square',
    detail: 'The reference protocol (Croce and Hein, 2020) the RobArch study reports',
  },
  plus: {
    description: 'APGD-CE and APGD-DLR with 5 restarts, Square, APGD-T, FAB-T',
    detail: 'Stronger and slower; without its untargeted FAB, which the engine does not implement yet',
  },
  rand: {
    description: 'APGD-CE and APGD-DLR, each gradient the mean over 20 samples (EOT)',
    detail: 'For randomised models, whose logits change between identical calls',
  },
};

/** The version remembered for this workspace; anything else stored there (or nothing) is standard. */
export function rememberedVersion(stored: unknown): AutoAttackVersion {
  return AUTOATTACK_VERSIONS.find((v) => v === stored) ?? 'standard';
}

/** The versions in the order the pick lists them: the remembered one first (Enter keeps it), then the others. */
export function versionOrder(first: AutoAttackVersion): AutoAttackVersion[] {
  return [first, ...AUTOATTACK_VERSIONS.filter((v) => v !== first)];
}
