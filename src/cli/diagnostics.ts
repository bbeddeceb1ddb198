import { formatLocation, type Diagnostic } from '../core';

/** `file:line:col: severity CODE message`, the form editors and CI logs link to. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${formatLocation(d.file, d.range)}: ${d.severity} ${d.code} ${d.message}`;
}
