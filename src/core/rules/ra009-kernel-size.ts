import type { Rule } from './rule';
import { fittedSuggestion, paramsOf, SCALED_UP_PARAMS, sizeInForce } from './budget-support';
import { SCALED_DEPTHS } from './ra017-scaling-up';
import { factValue, millions, rangeOf, signedMillions, unique } from './support';
import { OPTIMAL_DEPTHS, withKernel } from '../whatif/variants';

export const ra009: Rule = {
  code: 'RA009',
  guideline: 9,
  name: 'kernel-size',
  title: 'Larger kernels cost capacity: budget them',
  level: 'layer',
  facts: ['stage.kernel', 'budget or parameter count'],
  defaultSeverity: 'warning',
  evidence:
    'Larger kernels raise robustness but also capacity (ResNet-50 with kernel 3: 25.56M, ' +
    '5: 45.68M, 7: 75.86M parameters); an option when scaling up (Table 1 rows 1, 11, 12).',
  fixable: 'never',
  docs: {
    checks:
      'For grouped convs with a kernel above 3, computes what the larger kernel costs ' +
      'against kernel 3. Over the budget it is a warning with the deeper kernel-3 network ' +
      'that fits instead; without a budget it is reported at info level.',
    fails: 'budget: 26M\nblock:\n  kernel: 5',
    passes: 'budget: 26M\nblock:\n  kernel: 3',
    howToFix:
      'Within the budget a larger kernel is a legitimate way to scale up. Over it, go ' +
      'back to kernel 3 and deepen (the message names the depths that fit).',
  },
  check(context) {
    const { network, design } = context;
    const findings = network.stages.flatMap((stage) => {
      const kernel = factValue(stage.facts.kernel);
      if (kernel === undefined || kernel <= 3) return [];
      const range = rangeOf(stage, 'kernel', network);
      if (!design) {
        return [
          {
            range,
            message:
              `Kernel ${kernel} in the grouped conv raises capacity as much as robustness; ` +
              `count it against your budget`,
            severity: 'info' as const,
          },
        ];
      }
      const params = paramsOf(design);
      const small = withKernel(design, 3);
      const cost = params - paramsOf(small);
      const sized = sizeInForce(context);
      const base =
        `Kernel ${kernel} here costs ${signedMillions(cost)} params over kernel 3 ` + `(${millions(params)} in all)`;
      if (context.budget !== undefined && sized && params > sized.size) {
        // Spend the budget on depth instead: the study's optimal depths for this size, at kernel 3.
        const depths =
          design.stages.length === 4
            ? sized.size >= SCALED_UP_PARAMS
              ? SCALED_DEPTHS
              : [...OPTIMAL_DEPTHS]
            : undefined;
        const suggestion = depths ? fittedSuggestion(small, depths, sized.size) : undefined;
        return [
          {
            range,
            message: `${base}, over ${sized.label}` + (suggestion ? `; with kernel 3, ${suggestion} fits` : ''),
          },
        ];
      }
      if (context.budget === undefined) {
        return [{ range, message: `${base}; set a budget to check it`, severity: 'info' as const }];
      }
      return [];
    });
    return unique(findings);
  },
};
