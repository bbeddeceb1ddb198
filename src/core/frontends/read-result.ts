import type { Diagnostic } from '../ir/diagnostic';
import type { Network } from '../ir/network';

/** What a front end gives back: the network when the file could be read, and what it found. */
export interface ReadResult {
  /** The first (often only) model of the file. */
  readonly network?: Network;
  /** Every model of the file, for formats that hold several (a PyTorch file with resnet18 and resnet50). */
  readonly networks?: readonly Network[];
  readonly diagnostics: readonly Diagnostic[];
}

/** All models a read found. */
export function networksOf(read: ReadResult): readonly Network[] {
  return read.networks ?? (read.network ? [read.network] : []);
}
