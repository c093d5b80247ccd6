// Pure core of heatpump-http-ingest, part 2: the HTTP answer to a device's readings, from the
// result of heatpump-decode's pure decode (the same checks as for MQTT heatpump/{id}/data).
import type { DecodeResult, Problem } from '../heatpump-decode/types';

/**
 * The payload as decodeMessage measures and parses it: `http in` has already parsed a JSON body,
 * so it is turned back into its text for the size limit to apply to what the device sent.
 */
export function asReceived(payload: unknown): unknown {
  if (payload === undefined || typeof payload === 'string' || payload instanceof Uint8Array) return payload;
  return JSON.stringify(payload);
}

export interface IngestAnswer {
  statusCode: 202 | 400 | 413;
  payload: Record<string, unknown>;
}

export interface ProblemText {
  /** element of an array payload */
  index?: number;
  code: string;
  field?: string;
  message: string;
}

/**
 * 413 when the payload is over the size limit, 400 when not one reading was accepted, else 202 (the
 * accepted readings go on to the pipeline; storage is asynchronous) with the counts and the
 * reasons of the readings that were rejected.
 */
export function ingestAnswer(device: string, result: DecodeResult, describe: (problem: Problem) => string): IngestAnswer {
  const problems: ProblemText[] = result.problems.map((problem) => ({
    ...(problem.index === undefined ? {} : { index: problem.index }),
    code: problem.code,
    ...(problem.field === undefined ? {} : { field: problem.field }),
    message: describe(problem),
  }));
  const accepted = result.readings.length;
  const rejected = result.problems.filter((problem) => problem.scope === 'item').length;
  if (result.problems.some((problem) => problem.code === 'too-large')) {
    return { statusCode: 413, payload: { error: problems[0]?.message ?? 'payload too large', device_id: device, problems } };
  }
  if (accepted === 0) {
    const error = problems.length === 0 ? 'no reading in the payload' : problems.map((problem) => problem.message).join('; ');
    return { statusCode: 400, payload: { error, device_id: device, accepted, rejected, problems } };
  }
  return { statusCode: 202, payload: { device_id: device, accepted, rejected, ...(problems.length > 0 ? { problems } : {}) } };
}
