// Config node: which SMS path, its settings, and its secrets as Node-RED credentials (never
// in the flow file). The bridge reads `settings` and `credentials` and builds the transport.
import type { Node, NodeAPI } from 'node-red';
import type { SmsGatewayConfigDef } from './types';

function init(RED: NodeAPI): void {
  function SmsGatewayConfig(this: Node, config: SmsGatewayConfigDef) {
    RED.nodes.createNode(this, config);
    Object.assign(this, { settings: { ...config } });
  }
  RED.nodes.registerType('sms-gateway-config', SmsGatewayConfig, {
    credentials: {
      twilioAuthToken: { type: 'password' },
      androidPassword: { type: 'password' },
      androidSigningKey: { type: 'password' },
      simPin: { type: 'password' },
    },
  });
}

export = init;
