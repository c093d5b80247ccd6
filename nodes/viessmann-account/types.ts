import type { Node, NodeDef } from 'node-red';
import type { ApiError } from './api';
import type { CallPriority, Remaining } from './budget';

export interface ViessmannAccountProps {
  name: string;
  /** the client id of the Viessmann developer portal (public client, PKCE) */
  clientId: string;
  /** blank: derived from the editor's address (<admin root>/viessmann-account/callback) */
  redirectUri: string;
  /** blank: Viessmann's; set only for a stand-in or a proxy */
  authorizeUrl: string;
  tokenUrl: string;
  apiUrl: string;
  /** context store of the call budget and a renewed refresh token */
  store: string;
}

export interface ViessmannAccountDef extends NodeDef, ViessmannAccountProps {}

export interface ViessmannAccountCredentials {
  refreshToken?: string;
}

/** Why the account could not make a call, besides what the API answered. */
export interface AccountProblem {
  kind: 'not-logged-in' | 'login-again' | 'token-unavailable' | 'unreachable' | 'closed';
  message: string;
}

export type ApiAnswer = { ok: true; body: unknown; remaining: Remaining } | { ok: false; error: ApiError | AccountProblem; remaining: Remaining };

/** What a viessmann-device borrows from its account: budgeted, authenticated GETs. */
export interface ViessmannAccountNode extends Node {
  get(path: string, priority: CallPriority): Promise<ApiAnswer>;
  /** the calls left now in each window, and a 429 block */
  remaining(): Remaining;
}
