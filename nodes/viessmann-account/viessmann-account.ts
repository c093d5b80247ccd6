// Config node of one Viessmann account: the login (OAuth2 code + PKCE through two admin
// endpoints), the access token and its renewal, and the call budget every viessmann-device of the
// account shares. The devices borrow it through get(path, priority); the pure parts live in
// oauth.ts, budget.ts and api.ts.
import { createHash } from 'node:crypto';
import type { Node, NodeAPI } from 'node-red';
import { errorOf } from '../shared/errors';
import { loadState, resolveStore, saveState, type ContextLike } from '../shared/persist';
import { err, ok, type Result } from '../shared/result';
import { apiPaths, classifyApiError, devicesOf, gatewaysOf, type ApiError, type DiscoveredDevice } from './api';
import { budgetStateOf, CallBudget, VIESSMANN_LIMITS, type CallPriority, type Remaining, type Ticket } from './budget';
import {
  authorizeUrlOf,
  CALL_MARGIN_MS,
  RENEW_BEFORE_MS,
  codeGrantBody,
  createPkce,
  createState,
  needsRenewal,
  parseTokenResponse,
  PendingLogins,
  refreshGrantBody,
  VIESSMANN_ENDPOINTS,
  type Tokens,
} from './oauth';
import type { AccountProblem, ApiAnswer, ViessmannAccountCredentials, ViessmannAccountDef, ViessmannAccountNode } from './types';

const TYPE = 'viessmann-account';
const BUDGET_KEY = 'viessmann-budget';
const REFRESH_KEY = 'viessmann-refresh-token';
const REQUEST_TIMEOUT_MS = 30_000;
/** setTimeout's longest delay is 2^31-1 ms; a longer wait (a 429 reset) wakes up and looks again */
const LONGEST_WAIT_MS = 60 * 60 * 1000;
/** a 429 without limitReset: wait this long */
const RATE_LIMIT_FALLBACK_MS = 10 * 60 * 1000;

type Translate = (key: string, params?: Record<string, string | number>) => string;

interface Endpoints {
  clientId: string;
  authorizeUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

/** The refresh token the token endpoint rotated, and which deployed one it replaced. */
interface RenewedRefreshToken {
  replaces: string;
  refreshToken: string;
}

const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex');
const trimmed = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
const isHttpUrl = (value: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function jsonBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

class Account {
  private budget = new CallBudget(VIESSMANN_LIMITS);
  private readonly ready: Promise<void>;
  private readonly waiters = new Map<Ticket, (granted: boolean) => void>();
  private wakeTimer: NodeJS.Timeout | undefined;
  private tokens: Tokens | undefined;
  private renewal: Promise<Result<Tokens, AccountProblem>> | undefined;
  private refreshToken: string | undefined;
  /** set when only a new login helps: every call fails at once with it, no token request is made */
  private loginProblem: AccountProblem | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: Node,
    private readonly red: NodeAPI,
    private readonly t: Translate,
    readonly endpoints: Endpoints,
    private readonly store: string | undefined,
    private readonly deployedRefreshToken: string | undefined,
  ) {
    this.refreshToken = deployedRefreshToken;
    this.ready = this.load();
  }

  private get context(): ContextLike {
    return this.node.context() as unknown as ContextLike;
  }

  private async load(): Promise<void> {
    try {
      this.budget = new CallBudget(VIESSMANN_LIMITS, budgetStateOf(await loadState(this.context, BUDGET_KEY, this.store)));
      const renewed = (await loadState(this.context, REFRESH_KEY, this.store)) as Partial<RenewedRefreshToken> | undefined;
      // a token renewed since the last deploy, unless a new login has replaced the deployed one
      if (this.deployedRefreshToken && renewed?.replaces === fingerprint(this.deployedRefreshToken) && typeof renewed.refreshToken === 'string') this.refreshToken = renewed.refreshToken;
    } catch (error) {
      this.node.warn(this.t(`${TYPE}.log.store-failed`, { reason: errorOf(error).message }));
    }
  }

  remaining(): Remaining {
    return this.budget.remaining(Date.now());
  }

  /** One budgeted, authenticated GET of the IoT API. */
  async get(path: string, priority: CallPriority): Promise<ApiAnswer> {
    const fail = (error: ApiError | AccountProblem): ApiAnswer => ({ ok: false, error, remaining: this.remaining() });
    if (this.loginProblem) return fail(this.loginProblem);
    // a token first: without one, no call of the budget is spent
    const before = await this.accessToken('early');
    if (!before.ok) return fail(before.error);
    if (!(await this.acquire(priority))) return fail({ kind: 'closed', message: 'closed' });
    // the wait for the budget may have been long: renew only if the token would not last the call
    let token = await this.accessToken('for-call');
    if (!token.ok) return fail(token.error);
    let answer = await this.fetchApi(path, token.value);
    if (!answer.ok && answer.error.kind === 'expired-token') {
      // the API refused the token before its announced expiry: renew once and call once more
      token = await this.accessToken('now');
      if (!token.ok) return fail(token.error);
      if (!(await this.acquire(priority))) return fail({ kind: 'closed', message: 'closed' });
      answer = await this.fetchApi(path, token.value);
    }
    if (!answer.ok && answer.error.kind === 'rate-limited') {
      this.budget.blockUntil(answer.error.resetAt ?? Date.now() + RATE_LIMIT_FALLBACK_MS);
      this.persistBudget();
    }
    return answer.ok ? { ok: true, body: answer.body, remaining: this.remaining() } : fail(answer.error);
  }

  /** Installations, gateways and devices of the account (configuration calls: readings go first). */
  async discover(): Promise<Result<DiscoveredDevice[], string>> {
    const installations = await this.get(apiPaths.installations(), 'configuration');
    if (!installations.ok) return err(installations.error.message);
    const devices: DiscoveredDevice[] = [];
    for (const gateway of gatewaysOf(installations.body)) {
      const answer = await this.get(apiPaths.devices(gateway.installationId, gateway.gatewaySerial), 'configuration');
      if (!answer.ok) return err(answer.error.message);
      devices.push(...devicesOf(gateway, answer.body));
    }
    return ok(devices);
  }

  /** The callback of a login brought new tokens. */
  loggedIn(tokens: Tokens & { refreshToken: string }): void {
    this.tokens = tokens;
    this.refreshToken = tokens.refreshToken;
    if (this.loginProblem) this.node.log(this.t(`${TYPE}.log.logged-in`));
    this.loginProblem = undefined;
  }

  private async acquire(priority: CallPriority): Promise<boolean> {
    await this.ready;
    if (this.closed) return false;
    const ticket = this.budget.request(priority);
    const granted = new Promise<boolean>((resolve) => this.waiters.set(ticket, resolve));
    this.pump();
    return granted;
  }

  /** Hands out the calls the budget allows now and sleeps until the next one fits. */
  private pump(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (this.closed) return;
    const now = Date.now();
    const { granted, wakeAt } = this.budget.grant(now);
    if (granted.length > 0) this.persistBudget();
    for (const ticket of granted) {
      this.waiters.get(ticket)?.(true);
      this.waiters.delete(ticket);
    }
    if (wakeAt !== undefined) this.wakeTimer = setTimeout(() => this.pump(), Math.min(Math.max(wakeAt - now, 0), LONGEST_WAIT_MS));
  }

  private persistBudget(): void {
    const state = this.budget.snapshot();
    this.saving = this.saving
      .then(() => saveState(this.context, BUDGET_KEY, state, this.store))
      .catch((error: unknown) => this.node.warn(this.t(`${TYPE}.log.store-failed`, { reason: errorOf(error).message })));
  }

  /** 'early': renewed RENEW_BEFORE_MS ahead of its expiry; 'for-call': when it would not last a call; 'now': the API refused it. */
  private async accessToken(when: 'early' | 'for-call' | 'now'): Promise<Result<string, AccountProblem>> {
    const margin = when === 'early' ? RENEW_BEFORE_MS : CALL_MARGIN_MS;
    if (when !== 'now' && this.tokens && !needsRenewal(this.tokens, Date.now(), margin)) return ok(this.tokens.accessToken);
    // one renewal at a time, whatever number of devices asks
    this.renewal ??= this.renew().finally(() => (this.renewal = undefined));
    const renewed = await this.renewal;
    return renewed.ok ? ok(renewed.value.accessToken) : renewed;
  }

  private async renew(): Promise<Result<Tokens, AccountProblem>> {
    if (this.loginProblem) return err(this.loginProblem);
    const refreshToken = this.refreshToken;
    if (!refreshToken) return err({ kind: 'not-logged-in', message: this.t(`${TYPE}.errors.not-logged-in`) });
    let response: Response;
    try {
      response = await fetch(this.endpoints.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: refreshGrantBody(this.endpoints.clientId, refreshToken),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
    } catch (error) {
      return err({ kind: 'token-unavailable', message: this.t(`${TYPE}.errors.token-unavailable`, { reason: errorOf(error).message }) });
    }
    const parsed = parseTokenResponse(response.status, await jsonBody(response).catch(() => undefined), Date.now());
    if (!parsed.ok) {
      if (parsed.error.kind === 'unavailable') return err({ kind: 'token-unavailable', message: this.t(`${TYPE}.errors.token-unavailable`, { reason: parsed.error.message }) });
      this.tokens = undefined;
      this.loginProblem = { kind: 'login-again', message: this.t(`${TYPE}.errors.login-again`, { reason: parsed.error.message }) };
      this.node.error(this.loginProblem.message);
      return err(this.loginProblem);
    }
    this.tokens = parsed.value;
    const rotated = parsed.value.refreshToken;
    if (rotated && rotated !== refreshToken) this.keepRefreshToken(rotated);
    return ok(parsed.value);
  }

  /** A rotated refresh token: in the credentials (saved with the next deploy) and in the store now. */
  private keepRefreshToken(refreshToken: string): void {
    this.refreshToken = refreshToken;
    const credentials = (this.node.credentials ?? {}) as ViessmannAccountCredentials;
    credentials.refreshToken = refreshToken;
    this.red.nodes.addCredentials(this.node.id, { ...credentials }).catch(() => undefined);
    if (this.deployedRefreshToken) {
      const renewed: RenewedRefreshToken = { replaces: fingerprint(this.deployedRefreshToken), refreshToken };
      this.saving = this.saving
        .then(() => saveState(this.context, REFRESH_KEY, renewed, this.store))
        .catch((error: unknown) => this.node.warn(this.t(`${TYPE}.log.store-failed`, { reason: errorOf(error).message })));
    }
  }

  private async fetchApi(path: string, accessToken: string): Promise<{ ok: true; body: unknown } | { ok: false; error: ApiError | AccountProblem }> {
    let response: Response;
    try {
      response = await fetch(`${this.endpoints.apiUrl.replace(/\/+$/, '')}${path}`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
    } catch (error) {
      return { ok: false, error: { kind: this.closed ? 'closed' : 'unreachable', message: errorOf(error).message } };
    }
    const body = await jsonBody(response).catch(() => undefined);
    return response.ok ? { ok: true, body } : { ok: false, error: classifyApiError(response.status, body) };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.wakeTimer);
    this.abort.abort();
    for (const [ticket, resolve] of this.waiters) {
      this.budget.cancel(ticket);
      resolve(false);
    }
    this.waiters.clear();
    await this.saving;
  }
}

interface AdminRequest {
  body?: Record<string, unknown>;
  query: Record<string, unknown>;
  params: Record<string, string>;
}
interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
  type(type: string): AdminResponse;
  send(body: string): void;
}

function init(RED: NodeAPI): void {
  const t: Translate = (key, params) => RED._(key, params);
  const pending = new PendingLogins();
  const accounts = new Map<string, Account>();

  function ViessmannAccount(this: Node & Partial<Pick<ViessmannAccountNode, 'get' | 'remaining'>>, config: ViessmannAccountDef) {
    RED.nodes.createNode(this, config);
    const credentials = (this.credentials ?? {}) as ViessmannAccountCredentials;
    const { store, fallback } = resolveStore(RED.settings, config.store);
    if (fallback) this.warn(t(`${TYPE}.log.memory-only`, { store: config.store || '-' }));
    const account = new Account(
      this,
      RED,
      t,
      {
        clientId: trimmed(config.clientId),
        authorizeUrl: trimmed(config.authorizeUrl) || VIESSMANN_ENDPOINTS.authorize,
        tokenUrl: trimmed(config.tokenUrl) || VIESSMANN_ENDPOINTS.token,
        apiUrl: trimmed(config.apiUrl) || VIESSMANN_ENDPOINTS.api,
      },
      store,
      credentials.refreshToken || undefined,
    );
    accounts.set(this.id, account);
    this.get = (path, priority) => account.get(path, priority);
    this.remaining = () => account.remaining();
    this.on('close', (_removed: boolean, done: () => void) => {
      accounts.delete(this.id);
      account.close().finally(done);
    });
  }

  RED.nodes.registerType(TYPE, ViessmannAccount, { credentials: { refreshToken: { type: 'password' } } });

  // the editor's "Log in": a state and a verifier for this login, and the address to open
  RED.httpAdmin.post(`/${TYPE}/login`, RED.auth.needsPermission(`${TYPE}.write`), (req: AdminRequest, res: AdminResponse) => {
    const body = req.body ?? {};
    const nodeId = trimmed(body.id);
    const clientId = trimmed(body.clientId);
    const redirectUri = trimmed(body.redirectUri);
    const authorizeUrl = trimmed(body.authorizeUrl) || VIESSMANN_ENDPOINTS.authorize;
    const tokenUrl = trimmed(body.tokenUrl) || VIESSMANN_ENDPOINTS.token;
    if (nodeId === '' || clientId === '') return res.status(400).json({ error: t(`${TYPE}.errors.login-needs-client`) });
    if (![redirectUri, authorizeUrl, tokenUrl].every(isHttpUrl)) return res.status(400).json({ error: t(`${TYPE}.errors.login-bad-url`) });
    const { verifier, challenge } = createPkce();
    const state = createState();
    pending.add(state, { nodeId, clientId, redirectUri, tokenUrl, verifier, startedAt: Date.now() });
    res.json({ url: authorizeUrlOf({ authorizeUrl, clientId, redirectUri, state, challenge }) });
  });

  // where Viessmann sends the browser back: a top-level navigation without the editor's token, so
  // the single-use state (10 minutes) is what ties it to a login the editor started
  RED.httpAdmin.get(`/${TYPE}/callback`, (req: AdminRequest, res: AdminResponse) => {
    const page = (status: number, message: string) => res.status(status).type('html').send(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Viessmann</title></head><body><p>${escapeHtml(message)}</p></body></html>`);
    const state = trimmed(req.query.state);
    const login = pending.take(state, Date.now());
    if (login === undefined) return page(400, t(`${TYPE}.login.unknown`));
    if (typeof req.query.error === 'string') return page(400, t(`${TYPE}.login.refused`, { reason: [req.query.error, trimmed(req.query.error_description)].filter(Boolean).join(': ') }));
    const code = trimmed(req.query.code);
    if (code === '') return page(400, t(`${TYPE}.login.refused`, { reason: 'no code' }));
    (async () => {
      const response = await fetch(login.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: codeGrantBody(login.clientId, login.redirectUri, code, login.verifier),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const parsed = parseTokenResponse(response.status, await jsonBody(response), Date.now());
      if (!parsed.ok) return page(400, t(`${TYPE}.login.refused`, { reason: parsed.error.message }));
      const refreshToken = parsed.value.refreshToken;
      if (refreshToken === undefined) return page(400, t(`${TYPE}.login.no-refresh-token`));
      const existing = (RED.nodes.getCredentials(login.nodeId) ?? {}) as ViessmannAccountCredentials;
      await RED.nodes.addCredentials(login.nodeId, { ...existing, refreshToken });
      accounts.get(login.nodeId)?.loggedIn({ ...parsed.value, refreshToken });
      page(200, t(`${TYPE}.login.done`));
    })().catch((error: unknown) => page(502, t(`${TYPE}.login.refused`, { reason: errorOf(error).message })));
  });

  // the devices of a deployed account, for the select list of viessmann-device's editor
  RED.httpAdmin.get(`/${TYPE}/:id/devices`, RED.auth.needsPermission(`${TYPE}.read`), (req: AdminRequest, res: AdminResponse) => {
    const account = accounts.get(req.params.id ?? '');
    if (account === undefined) return res.status(404).json({ error: t(`${TYPE}.errors.not-deployed`) });
    account
      .discover()
      .then((found) => (found.ok ? res.json({ devices: found.value }) : res.status(502).json({ error: found.error })))
      .catch((error: unknown) => res.status(500).json({ error: errorOf(error).message }));
  });
}

export = init;
