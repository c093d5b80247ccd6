/**
 * Node-RED settings for heatpump-monitor, trimmed from Node-RED's own settings template.
 *
 * One file serves both ways of running it:
 *  - `npm start` (scripts/start.ts) loads it, sets `userDir` (.node-red/ in the repo, or
 *    $HEATPUMP_HOME/node-red) and `nodesDir` (this package), and serves Node-RED itself;
 *  - the Docker image mounts it at /data/settings.js and starts Node-RED with `--userDir /data`.
 * So nothing here may depend on where the repository is: paths are relative to the userDir.
 *
 * Secrets never live here: the credential key comes from NODE_RED_CREDENTIAL_SECRET.
 * See https://nodered.org/docs/user-guide/runtime/configuration for every option.
 */
const path = require('node:path');

/**
 * A module of this package's dist/nodes/shared/: from the repository (`npm start`) or from the
 * installed package (Docker: /data/node_modules).
 */
function loadShared(name) {
    const candidates = [
        path.join(__dirname, 'dist', 'nodes', 'shared', `${name}.js`),
        `node-red-contrib-heatpump-monitor/dist/nodes/shared/${name}.js`,
    ];
    for (const candidate of candidates) {
        try {
            return require(candidate);
        } catch (err) {
            if (!(err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(candidate))) throw err;
        }
    }
    throw new Error(`settings.js: cannot find ${name} (${candidates.join(' or ')}); build the repository or install the package`);
}
/** JSON 400/404/405 instead of Express's HTML pages, rate limits (429 + Retry-After), a body limit (413). */
const httpGuard = loadShared('http-guard');
/**
 * Who may use the flows' endpoints, /api/ws and the dashboard (nodes/shared/http-auth.ts): off
 * while NODE_RED_ADMIN_PASSWORD_HASH is unset (the npm start demo on localhost); on with it: the
 * admin by HTTP Basic, HEATPUMP_READ_TOKEN read-only (Bearer, or as the Basic password). A
 * half-done set-up (a read token without the admin hash, a bad hash, a short token) stops here.
 */
const auth = loadShared('http-auth').authSettingsFromEnv(process.env);
const guard = httpGuard.createHttpGuard(httpGuard.guardOptionsFromEnv(process.env));

module.exports = {
    /** HTTP port of the editor, dashboard and API. */
    uiPort: Number(process.env.PORT) || 1880,

    /** Flows and their credentials, relative to the userDir. npm start seeds it with flows/*.json. */
    flowFile: 'flows.json',
    flowFilePretty: true,

    /**
     * Key that encrypts flows_cred.json. When unset, Node-RED generates one and keeps it in
     * .config.runtime.json in the userDir; set it in production so a copied userDir stays usable.
     */
    credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || undefined,

    /**
     * Editor login: set NODE_RED_ADMIN_PASSWORD_HASH to a bcrypt hash (`npx node-red admin hash-pw`)
     * and optionally NODE_RED_ADMIN_USER (default admin). docker-compose requires it; `npm start`
     * on a workstation runs without a login unless it is set. The read token never opens the editor.
     */
    adminAuth: auth.config.enabled
        ? {
              type: 'credentials',
              users: [{ username: auth.config.adminUser, password: auth.config.adminPasswordHash, permissions: '*' }],
          }
        : undefined,

    /** Editor and admin API at /, the flows' HTTP endpoints (/api/..., /dashboard) at / too. */
    httpAdminRoot: '/',
    httpNodeRoot: '/',

    /**
     * Listening address: Node-RED's default (all interfaces) for the Docker image; `npm start`
     * listens on HOST instead (default 127.0.0.1, scripts/start.ts).
     */

    /**
     * In front of the flows' endpoints (Node-RED mounts httpNodeAuth before them): malformed URLs
     * answer 400 JSON, unknown /api/ routes 404 JSON, more than HEATPUMP_API_RATE requests a minute
     * per client IP on /api/* and /metrics (default 600, burst HEATPUMP_API_BURST 120) or
     * HEATPUMP_SMS_RATE on /api/sms/* (default 120, burst HEATPUMP_SMS_BURST 30) answer 429 with
     * Retry-After, and bodies over HEATPUMP_HTTP_MAX_BODY bytes (default 65536) answer 413.
     * Rates of 0 turn the limit off. HEATPUMP_TRUSTED_PROXIES (addresses / CIDR ranges) keys requests
     * from those reverse proxies on X-Forwarded-For. Then, with authentication on, the login (the
     * SMS webhooks excepted: their signatures are checked by sms-gateway-bridge). The guard comes
     * first, so guessing passwords on /api/ and /metrics is rate limited too. The dashboard's pages
     * are routes of the flows' app, so the login covers them; wrong logins are limited per client
     * everywhere (HEATPUMP_LOGIN_FAILURES a minute, default 10: then 429 before any password check).
     */
    httpNodeAuth: auth.httpNodeAuth ? [guard, auth.httpNodeAuth] : guard,
    /** The websocket-listener nodes (/api/ws): read access (header, or ?access_token= for browsers). */
    webSocketNodeVerifyClient: auth.webSocketNodeVerifyClient,
    /** Dashboard 2.0's socket.io connection (outside Express): read access. */
    dashboard: auth.dashboard,
    /** The editor and admin API answer a malformed URL with 400 JSON too, not a stack trace. */
    httpAdminMiddleware: httpGuard.rejectMalformedUrl,

    /** `memory` is fast and the default; `file` survives restarts (nodes/shared/persist.ts uses it). */
    contextStorage: {
        default: { module: 'memory' },
        memory: { module: 'memory' },
        file: { module: 'localfilesystem' },
    },

    /** Function nodes may not `require` arbitrary modules: the shipped flows need none. */
    functionExternalModules: false,

    logging: {
        console: {
            level: process.env.NODE_RED_LOG_LEVEL || 'info',
            metrics: false,
            audit: false,
        },
    },

    /** /diagnostics for support requests; the runtime stop/start switch stays off. */
    diagnostics: { enabled: true, ui: true },
    runtimeState: { enabled: false, ui: false },

    /** No calls home (update checks); these machines are often offline. */
    telemetry: { enabled: false },

    editorTheme: {
        page: { title: 'heatpump-monitor' },
        header: { title: 'heatpump-monitor' },
        projects: { enabled: false },
        tours: false,
    },

    /**
     * online-tracker: how often (ms) it looks for devices that fell silent
     * (a node setting exported by online-tracker; its per-device timeout comes from
     * DEVICE_ONLINE_TIMEOUT_SECONDS).
     */
    onlineTrackerCheckInterval: 5000,

    /**
     * heatpump-batch (spool on): a message is done once its journal append is on disk; the
     * appends of this many ms share one fdatasync (group commit, off the event loop). 0: a sync at
     * once per message; messages that come while one runs share the next.
     */
    heatpumpBatchJournalSyncMs: 20,

    /**
     * Receive journal: a QoS 1 message an `mqtt in` node hands to a heat pump decoder is kept in
     * <userDir>/heatpump-spool/received until every node on its way is done with it, and sent
     * again from that `mqtt in` after a kill (Node-RED confirms it to the broker on receipt).
     * HEATPUMP_RECEIVE_JOURNAL=0 turns it off.
     */
    heatpumpReceiveJournal: process.env.HEATPUMP_RECEIVE_JOURNAL !== '0',

    /** Debug sidebar: cut long messages (a 100-reading flush is large). */
    debugMaxLength: 1000,
    mqttReconnectTime: 5000,
};
