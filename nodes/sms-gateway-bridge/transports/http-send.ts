// One HTTP request for the REST gateways, with network failures and time-outs mapped to
// transient SendErrors. Uses Node's global fetch (Node >= 18).
import { SendError } from '../queue';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface HttpReply {
  status: number;
  body: string;
}

export async function httpSend(request: HttpRequest, timeoutMs: number): Promise<HttpReply> {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: await response.text() };
  } catch (thrown) {
    const reason = thrown instanceof Error ? (thrown.cause instanceof Error ? thrown.cause.message : thrown.message) : String(thrown);
    throw new SendError(`network: ${reason}`, true, 'network');
  }
}

/** HTTP status codes worth another try: server errors and "too many requests". */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
