import type { Rule } from './rule';
import { ra001 } from './ra001-number-of-stages';
import { ra002 } from './ra002-stage-depths';
import { ra003 } from './ra003-inverted-bottleneck';
import { ra004 } from './ra004-width-configuration';
import { ra005 } from './ra005-depth-vs-width';
import { ra006 } from './ra006-stem-downsampling';
import { ra007 } from './ra007-stem-convolution';
import { ra008 } from './ra008-dense-connections';
import { ra009 } from './ra009-kernel-size';
import { ra010 } from './ra010-dilation';
import { ra011 } from './ra011-activation-function';
import { ra012 } from './ra012-activations-per-block';
import { ra013 } from './ra013-squeeze-excitation';
import { ra014 } from './ra014-se-activation';
import { ra015 } from './ra015-normalization-type';
import { ra016 } from './ra016-norms-per-block';
import { ra017 } from './ra017-scaling-up';
import { ra018 } from './ra018-depth-saturation';

/** Every guideline rule, in guideline order. A new rule is a new file and one line here. */
export const RULES: readonly Rule[] = [
  ra001,
  ra002,
  ra003,
  ra004,
  ra005,
  ra006,
  ra007,
  ra008,
  ra009,
  ra010,
  ra011,
  ra012,
  ra013,
  ra014,
  ra015,
  ra016,
  ra017,
  ra018,
];

export function ruleByCode(code: string): Rule | undefined {
  return RULES.find((rule) => rule.code === code.toUpperCase());
}
