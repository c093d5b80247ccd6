// The editor has no alert numbers of its own: threshold-alert registers them as Node-RED runtime
// settings (thresholdAlert*), exportable to the editor. Checked against the runtime's own settings
// module, so a Node-RED release that changes how node settings are registered fails here.
import assert from 'node:assert/strict';
import type { NodeAPI } from 'node-red';
import { ALERT_COOLDOWN_SECONDS, SENSOR_FAULT_AFTER_SECONDS } from '../../nodes/shared/thresholds';
import { DEFAULT_RULES } from '../../nodes/threshold-alert/rules';
import { nodeModule, nodeRedPath } from '../support/node-red';

describe('threshold-alert: runtime settings for the editor', () => {
  it('the runtime exports them through Node-RED\'s settings (thresholdAlert* names, exportable)', () => {
    let registered: { settings?: Record<string, { value: unknown; exportable?: boolean }> } | undefined;
    const fakeRed = {
      nodes: {
        registerType: (_type: string, _ctor: unknown, opts: typeof registered) => {
          registered = opts;
        },
      },
    };
    (nodeModule('threshold-alert') as (red: NodeAPI) => void)(fakeRed as unknown as NodeAPI);
    assert.ok(registered?.settings);

    // A fresh copy of the runtime's settings module, so the flow suites' runtime is not touched.
    const file = require.resolve('@node-red/runtime/lib/settings', { paths: [nodeRedPath] });
    const cached = require.cache[file];
    delete require.cache[file];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require(file) as { init(local: object): void; registerNodeSettings(type: string, opts: object): void; exportNodeSettings(safe: object): Record<string, unknown> };
    if (cached) require.cache[file] = cached;
    else delete require.cache[file];

    settings.init({});
    // throws for a name that does not start with the node type in camelCase
    settings.registerNodeSettings('threshold-alert', registered.settings);
    const exported = settings.exportNodeSettings({});
    assert.deepEqual(JSON.parse(JSON.stringify(exported)), {
      thresholdAlertDefaultRules: DEFAULT_RULES.map((r) => ({ ...r })),
      thresholdAlertDefaultCooldown: ALERT_COOLDOWN_SECONDS,
      thresholdAlertDefaultFaultAfter: SENSOR_FAULT_AFTER_SECONDS,
    });
  });
});
