// A stand-in for Express's response that records what a middleware answered, for the unit tests of
// nodes/shared/http-guard.ts and http-auth.ts.
import type { GuardResponse } from '../../nodes/shared/http-guard';

export interface RecordedAnswer {
  status: number;
  headers: Record<string, string | number>;
  body: unknown;
  /** the middleware called next() */
  passed: boolean;
}

/** A response whose answer lands in `out`; `onEnd` runs once it is sent. */
export function recordingResponse(onEnd: () => void = () => undefined): { res: GuardResponse; out: RecordedAnswer } {
  const out: RecordedAnswer = { status: 0, headers: {}, body: undefined, passed: false };
  const res: GuardResponse = {
    headersSent: false,
    statusCode: 200,
    setHeader: (name, value) => (out.headers[name.toLowerCase()] = value),
    end: (body) => {
      out.status = res.statusCode;
      out.body = body === undefined ? undefined : JSON.parse(body);
      onEnd();
    },
  };
  return { res, out };
}
