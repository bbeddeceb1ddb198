import { AUTOATTACK_VERSIONS, type AutoAttackVersion } from '../../engine/attacks/autoattack-versions';
import { UsageError } from '../io';

/** `--version`: one of AutoAttack's versions, which fixes the attacks, so not with `--attacks`. */
export function versionOption(text: string | undefined, attacks: string | undefined): AutoAttackVersion | undefined {
  if (text === undefined) return undefined;
  const version = AUTOATTACK_VERSIONS.find((v) => v === text.trim().toLowerCase());
  if (!version) throw new UsageError(`--version: unknown version "${text}"; choose ${AUTOATTACK_VERSIONS.join(', ')}`);
  if (attacks !== undefined) throw new UsageError('--version fixes the attacks: give --version or --attacks, not both');
  return version;
}
