import type { Diagnostic } from '../ir/diagnostic';
import type { Network } from '../ir/network';

/** What a front end gives back: the network when the file could be read, and what it found. */
export interface ReadResult {
  readonly network?: Network;
  readonly diagnostics: readonly Diagnostic[];
}
