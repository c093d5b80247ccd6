// Node-RED glue for espaltherma-decode: ESPAltherma's MQTT messages (an mqtt in on <base>/#) to
// MetricsReadings on output 1 and presence changes on output 2. Decoding lives in decode.ts, the
// node around it in ../shared/gateway-node.ts.
import type { NodeAPI } from 'node-red';
import { registerGatewayNode, type GatewayNodeDef } from '../shared/gateway-node';
import { DEFAULT_BASE, EspalthermaDecoder } from './decode';

interface EspalthermaDecodeDef extends GatewayNodeDef {
  /** the model family of the gateway's definition file (info.model) */
  family?: string;
}

function init(RED: NodeAPI): void {
  registerGatewayNode<EspalthermaDecodeDef>(RED, 'espaltherma-decode', (config) => {
    const options = { base: (config.base ?? DEFAULT_BASE).trim(), deviceId: (config.deviceId ?? '').trim(), family: (config.family ?? '').trim() };
    const problem = EspalthermaDecoder.check(options);
    return problem === undefined ? new EspalthermaDecoder(options) : { problem };
  });
}

export = init;
