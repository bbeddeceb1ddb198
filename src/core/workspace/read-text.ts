import { READ_LIMITS, readTextIfPresent } from './read-bounded';

/**
 * A configuration file's text for discovery, which probes many paths: undefined where there is
 * none, a `problem` where one exists but is refused (a FIFO, a link to a device, too large).
 */
export function readTextIfExists(file: string): string | undefined | { problem: string } {
  return readTextIfPresent(file, { maxBytes: READ_LIMITS.config, what: 'configuration file' });
}
