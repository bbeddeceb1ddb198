import { formatCompact } from '../util/parse-count';
import type { Fact } from '../ir/fact';
import type { Block, FactSources, Network } from '../ir/network';
import type { SourceRange } from '../ir/source';
import type { RuleFinding } from './rule';

export function factValue<T>(fact: Fact<T>): T | undefined {
  return fact.known ? fact.value : undefined;
}

export function allBlocks(network: Network): Block[] {
  return network.stages.flatMap((stage) => [...stage.blocks]);
}

/** Where a fact was written: its own source, else its owner's, else the network's. */
export function rangeOf(
  owner: { readonly factSources?: FactSources; readonly source?: SourceRange },
  key: string,
  network: Network,
): SourceRange {
  return (
    owner.factSources?.[key] ??
    owner.source ??
    network.source ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }
  );
}

/** Many blocks share one line of a spec: report each distinct finding once. */
export function unique(findings: RuleFinding[]): RuleFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.range.start.line}:${f.range.start.character}:${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const BOTTLENECK_POSITIONS = ['first (1x1)', 'second (kxk)', 'third (1x1)'] as const;
const ORDINALS = ['first', 'second', 'third', 'fourth'] as const;

/** "the second (kxk)" in a bottleneck block; plain ordinals in other blocks (a basic block's two 3x3 convs). */
export function positionName(position: number, block?: Block): string {
  const kind = block?.facts.kind;
  const bottleneck = !block || (kind?.known === true && kind.value === 'bottleneck');
  return (bottleneck ? BOTTLENECK_POSITIONS[position] : ORDINALS[position]) ?? `#${position + 1}`;
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** `26.14M` style, for messages. */
export function millions(params: number): string {
  return formatCompact(params);
}

export function signedMillions(params: number): string {
  return `${params >= 0 ? '+' : '-'}${millions(Math.abs(params))}`;
}
