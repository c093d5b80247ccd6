// GET of a Gen2 RPC method over the local HTTP API, answering the device's Digest challenge.
// Transport only (no Node-RED): it tells "no answer" (unreachable) from "an answer" (any status).
import http from 'node:http';
import https from 'node:https';
import type { DigestSession } from './digest';

/** How long one request may take before the meter counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 5000;
/** A status answer is a few kB; more is not a Shelly talking. */
const MAX_BODY_BYTES = 256 * 1024;

export type RpcResult =
  | { kind: 'answer'; status: number; body: string }
  | { kind: 'unreachable'; reason: string }
  /** the device wants a password we do not have, or refused the one we have */
  | { kind: 'auth'; reason: string };

/** `192.168.1.105`, `shelly.local:8080` or a full `http(s)://...` URL -> the base URL, or why not. */
export function baseUrlOf(host: string): URL | string {
  const trimmed = host.trim();
  if (trimmed === '') return 'no host configured';
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol} is not http: or https:`;
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return url;
  } catch {
    return `${JSON.stringify(trimmed)} is not a host name, address or URL`;
  }
}

interface Raw {
  status: number;
  wwwAuthenticate: string | string[] | undefined;
  body: string;
}

function get(url: URL, authorization: string | undefined, signal: AbortSignal): Promise<Raw> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { signal, timeout: REQUEST_TIMEOUT_MS, agent: false, headers: authorization ? { authorization } : {} }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) request.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, wwwAuthenticate: response.headers['www-authenticate'], body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
  });
}

const reasonOf = (error: unknown): string => {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
};

/**
 * `GET <base>rpc/<method>`. With a digest session, a 401 is answered once with the new
 * challenge (the first request of a session, or a nonce the device no longer accepts).
 */
export async function callRpc(base: URL, method: string, session: DigestSession | undefined, signal: AbortSignal): Promise<RpcResult> {
  const url = new URL(`rpc/${method}`, base);
  const uri = `${url.pathname}${url.search}`;
  try {
    let raw = await get(url, session?.authorization('GET', uri), signal);
    if (raw.status === 401) {
      if (session === undefined) return { kind: 'auth', reason: 'the device requires a password: set it in the node' };
      const unanswerable = session.challenged(raw.wwwAuthenticate);
      if (unanswerable !== undefined) return { kind: 'auth', reason: unanswerable };
      raw = await get(url, session.authorization('GET', uri), signal);
      if (raw.status === 401) return { kind: 'auth', reason: 'the device refused the password' };
    }
    return { kind: 'answer', status: raw.status, body: raw.body };
  } catch (error) {
    return { kind: 'unreachable', reason: reasonOf(error) };
  }
}
