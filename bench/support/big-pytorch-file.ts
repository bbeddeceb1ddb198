import * as fs from 'node:fs';

/** The comment line benchmarks edit (a keystroke that changes no model). */
export const EDIT_MARKER = '# edits go here: ';

/**
 * A PyTorch file of at least `lines` lines: the PyTorch examples repeated with every top-level
 * class, function and constant renamed per copy, so each copy is a model of its own to evaluate.
 */
export function bigPyTorchFile(lines: number): string {
  const sources = ['examples/pytorch/resnet.py', 'examples/pytorch/robarch_s.py'].map((f) =>
    fs.readFileSync(f, 'utf8'),
  );
  const imports = new Set<string>();
  const bodies: string[] = [];
  for (let copy = 0; bodies.join('\n').split('\n').length < lines; copy++) {
    for (const source of sources) {
      const body = source
        .split('\n')
        .filter((line) => {
          if (!/^(import|from) /.test(line)) return true;
          imports.add(line);
          return false;
        })
        .join('\n');
      const names = [...body.matchAll(/^(?:class|def) (\w+)|^([A-Z_]+) =/gm)].map((m) => m[1] ?? m[2] ?? '');
      bodies.push(
        names.reduce((text, name) => text.replace(new RegExp(`\\b${name}\\b`, 'g'), `${name}_${copy}`), body),
      );
    }
  }
  return [...imports, EDIT_MARKER, ...bodies].join('\n');
}
