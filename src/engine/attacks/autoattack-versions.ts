import { apgdCe, apgdDlr, apgdTargeted, APGD_DEFAULTS, APGD_T_DEFAULTS } from './apgd';
import { attackByName, type NamedAttack } from './autoattack';
import { withEot } from './eot';
import { fabTargeted } from './fab';
import { squareAttack } from './square';
import type { AutoAttackVersion } from './version-names';

export { AUTOATTACK_VERSIONS, type AutoAttackVersion } from './version-names';

export interface VersionAttacks {
  readonly attacks: NamedAttack[];
  readonly notes: string[];
}

/**
 * AutoAttack's versions as its reference code sets them (autoattack.py, set_version):
 * - standard: APGD-CE, APGD-T (9 targets), FAB-T (9 targets), Square (5000 queries), one restart each.
 * - plus: APGD-CE and APGD-DLR with 5 restarts, FAB (5 restarts), Square, APGD-T, FAB-T (9 targets).
 *   The engine has no untargeted FAB, so `plus` here leaves it out (see `notes`).
 * - rand: APGD-CE and APGD-DLR, one restart, each gradient the mean over 20 samples (EOT).
 */
export function autoAttackVersion(version: AutoAttackVersion): VersionAttacks {
  switch (version) {
    case 'standard':
      return { attacks: (['apgd-ce', 'apgd-t', 'fab-t', 'square'] as const).map((a) => attackByName(a)), notes: [] };
    case 'plus': {
      const five = { ...APGD_DEFAULTS, restarts: 5 };
      return {
        attacks: [
          { name: 'apgd-ce', run: (m, b, t, c) => apgdCe(m, b, t, c, five) },
          { name: 'apgd-dlr', run: (m, b, t, c) => apgdDlr(m, b, t, c, five) },
          { name: 'square', run: (m, b, t, c) => squareAttack(m, b, t, c) },
          { name: 'apgd-t', run: (m, b, t, c) => apgdTargeted(m, b, t, c, APGD_T_DEFAULTS) },
          { name: 'fab-t', run: (m, b, t, c) => fabTargeted(m, b, t, c) },
        ],
        notes: ['AutoAttack plus without its untargeted FAB (5 restarts), which the engine does not implement yet'],
      };
    }
    case 'rand':
      return {
        attacks: [
          { name: 'apgd-ce', run: (m, b, t, c) => apgdCe(withEot(m, 20), b, t, c, APGD_DEFAULTS) },
          { name: 'apgd-dlr', run: (m, b, t, c) => apgdDlr(withEot(m, 20), b, t, c, APGD_DEFAULTS) },
        ],
        notes: ['AutoAttack rand: APGD-CE and APGD-DLR with EOT over 20 samples per gradient'],
      };
  }
}
