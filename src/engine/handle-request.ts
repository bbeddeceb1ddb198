import { paramsReport, readModelFile, summarize } from '../core';
import type { EngineMessage, EngineRequest } from './protocol';

/** Answers one request. Training and attacks join this dispatcher as the engine grows. */
export function handleRequest(request: EngineRequest): EngineMessage {
  const read = readModelFile(request.file, request.text);
  if (!read.network) {
    const first = read.diagnostics.find((d) => d.severity === 'error');
    return { id: request.id, type: 'error', message: first?.message ?? 'the model could not be read', diagnostics: read.diagnostics };
  }
  return { id: request.id, type: 'result', result: paramsReport(summarize(read.network, request.inputSize ?? 224), read.diagnostics) };
}
