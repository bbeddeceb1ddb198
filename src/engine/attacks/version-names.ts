/**
 * The versions of AutoAttack (Croce and Hein, ICML 2020). Apart from the attacks, so the protocol checks stay light.
 */
export type AutoAttackVersion = 'standard' | 'plus' | 'rand';

export const AUTOATTACK_VERSIONS: readonly AutoAttackVersion[] = ['standard', 'plus', 'rand'];
