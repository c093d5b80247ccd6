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
     * on a workstation runs without a login unless it is set.
     */
    adminAuth: process.env.NODE_RED_ADMIN_PASSWORD_HASH
        ? {
              type: 'credentials',
              users: [
                  {
                      username: process.env.NODE_RED_ADMIN_USER || 'admin',
                      password: process.env.NODE_RED_ADMIN_PASSWORD_HASH,
                      permissions: '*',
                  },
              ],
          }
        : undefined,

    /** Editor and admin API at /, the flows' HTTP endpoints (/api/..., /dashboard) at / too. */
    httpAdminRoot: '/',
    httpNodeRoot: '/',

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

    /** Debug sidebar: cut long messages (a 100-reading flush is large). */
    debugMaxLength: 1000,
    mqttReconnectTime: 5000,
};
