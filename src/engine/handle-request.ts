import { impliedInputSize, paramsReport, readModelFile, summarize } from '../core';
import type { EngineMessage, EngineRequest } from './protocol';

/** Answers a describe request (training and evaluation runs stream from the worker itself). */
export function handleRequest(request: Extract<EngineRequest, { type: 'describe' }>): EngineMessage {
  const read = readModelFile(request.file, request.text);
  if (!read.network) {
    const first = read.diagnostics.find((d) => d.severity === 'error');
    return {
      id: request.id,
      type: 'error',
      message: first?.message ?? 'the model could not be read',
      diagnostics: read.diagnostics,
    };
  }
  const inputSize = request.inputSize ?? impliedInputSize(read.network)?.size ?? 224;
  return { id: request.id, type: 'result', result: paramsReport(summarize(read.network, inputSize), read.diagnostics) };
}
