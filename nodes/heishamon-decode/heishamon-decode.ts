// Node-RED glue for heishamon-decode: HeishaMon's MQTT messages (an mqtt in on <base>/#) to
// MetricsReadings on output 1, presence changes on output 2 and setting changes on output 3.
// Decoding lives in decode.ts (settings.ts for the settings), the node around it in
// ../shared/gateway-node.ts.
import type { NodeAPI } from 'node-red';
import { registerGatewayNode, type GatewayNodeDef } from '../shared/gateway-node';
import { DEFAULT_BASE, HeishamonDecoder } from './decode';

interface HeishamonDecodeDef extends GatewayNodeDef {
  raw?: boolean;
}

function init(RED: NodeAPI): void {
  registerGatewayNode<HeishamonDecodeDef>(RED, 'heishamon-decode', (config) => {
    const options = { base: (config.base ?? DEFAULT_BASE).trim(), deviceId: (config.deviceId ?? '').trim(), raw: config.raw === true };
    const problem = HeishamonDecoder.check(options);
    return problem === undefined ? new HeishamonDecoder(options) : { problem };
  });
}

export = init;
