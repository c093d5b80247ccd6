// Node-RED glue of heatpump-ws-clients: per-connection subscriptions on the /api/ws WebSocket.
// Fed by `websocket in` (client requests, each with msg._session) and by the ingest tab's
// messages (readings, alert events, presence events), which it shapes into sensor_data, alert,
// device_online / device_offline (shape.ts) and sends to the connections that want their device
// (msg._session per connection, or one broadcast while nobody subscribed); answers requests to
// the asking connection only. Connections are learnt from the websocket-listener's opened /
// closed events and forgotten on close; while none is open, pushed messages are dropped unshaped.
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { liveResponse } from '../shared/api-response';
import { errorOf, failInput } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { setStatus } from '../shared/status';
import { shapePushed } from './shape';
import { deviceOfMessage, parseClientRequest, Subscriptions } from './subscriptions';
import type { HeatpumpWsClientsDef, ListenerLike, WebSocketSession, WsMsg } from './types';

const sessionOf = (msg: WsMsg): string | undefined =>
  msg._session?.type === 'websocket' && typeof msg._session.id === 'string' ? msg._session.id : undefined;

const init = (RED: NodeAPI): void => {
  function HeatpumpWsClients(this: Node, config: HeatpumpWsClientsDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const subscriptions = new Subscriptions();
    const showCounts = () => {
      const { connected, subscribed } = subscriptions.counts;
      setStatus(node, 'tracking', RED._('heatpump-ws-clients.status.counts', { connected, subscribed }));
    };

    const listener = RED.nodes.getNode(config.listener) as unknown as ListenerLike | null | undefined;
    // without its listener the node cannot tell who is connected
    const knowsConnections = !!listener && typeof listener.on === 'function';
    if (!knowsConnections) {
      node.error(RED._('heatpump-ws-clients.errors.no-listener'));
      setStatus(node, 'error', RED._('heatpump-ws-clients.status.no-listener'));
    }
    const onOpened = ({ id }: { id: string }) => {
      subscriptions.opened(id);
      showCounts();
    };
    const onClosed = ({ id }: { id: string }) => {
      subscriptions.closed(id);
      showCounts();
    };
    if (knowsConnections) {
      // connections opened before this node (a redeploy of this node alone) are everyone's
      for (const id of Object.keys(listener._clients ?? {})) subscriptions.opened(id);
      listener.on('opened', onOpened);
      listener.on('closed', onClosed);
      showCounts();
    }

    const answerTo = (session: string, payload: Record<string, unknown>): WsMsg => ({
      payload: { ...payload, timestamp: new Date().toISOString() },
      _session: { type: 'websocket', id: session } satisfies WebSocketSession,
    });

    const currentStatus = (fleet: FleetLink, device: string): Record<string, unknown> => {
      const answer = liveResponse({ kind: 'status', device_id: device }, fleet.state, Date.now(), fleet.historyNote);
      if (answer.statusCode === 200) return { type: 'current_status', device_id: device, status: answer.payload };
      const error = (answer.payload as { error?: unknown }).error;
      return { type: 'error', request: 'get_current_status', device_id: device, error: typeof error === 'string' ? error : `status ${answer.statusCode}` };
    };

    const request = (msg: WsMsg, session: string, send: (msg: NodeMessage) => void, done: (err?: Error) => void): void => {
      subscriptions.opened(session);
      const parsed = parseClientRequest(msg.payload);
      if (parsed.type === 'invalid') {
        send(answerTo(session, { type: 'error', ...(parsed.request ? { request: parsed.request } : {}), error: parsed.error }));
        failInput(node, done, RED._('heatpump-ws-clients.status.bad-request'), RED._('heatpump-ws-clients.errors.bad-request', { error: parsed.error }));
        return;
      }
      const device = parsed.device_id;
      if (parsed.type === 'get_current_status') {
        const fleet = fleetOf(RED.nodes, config.fleet);
        if (!fleet) {
          send(answerTo(session, { type: 'error', request: parsed.type, device_id: device, error: 'no fleet to read the status from' }));
          failInput(node, done, RED._('heatpump-ws-clients.status.no-fleet'), RED._('heatpump-ws-clients.errors.no-fleet'));
          return;
        }
        // right after a start the saved fleet may still be loading: answer from it, not from an empty one
        void fleet.ready.then(() => {
          send(answerTo(session, currentStatus(fleet, device)));
          done();
        }, (thrown: unknown) => done(errorOf(thrown)));
        return;
      }
      const changed = parsed.type === 'subscribe_device' ? subscriptions.subscribe(session, device) : subscriptions.unsubscribe(session, device);
      const reply = changed.ok
        ? { type: parsed.type === 'subscribe_device' ? 'subscribed' : 'unsubscribed', device_id: device, devices: changed.devices }
        : { type: 'error', request: parsed.type, device_id: device, error: changed.error };
      send(answerTo(session, reply));
      showCounts();
      done();
    };

    const push = (msg: WsMsg, send: (msgs: NodeMessage[][]) => void, done: (err?: Error) => void): void => {
      // nobody would receive it: not worth shaping
      if (knowsConnections && !subscriptions.anyConnected) {
        done();
        return;
      }
      const shaped = shapePushed(msg.payload, msg.alerts);
      if (!shaped.ok) {
        failInput(node, done, RED._('heatpump-ws-clients.status.bad-message'), RED._('heatpump-ws-clients.errors.bad-message', { error: shaped.error }));
        return;
      }
      const payload = shaped.value;
      const recipients = subscriptions.recipients(deviceOfMessage(payload));
      if (recipients.broadcast) {
        const out: WsMsg = { ...msg, payload };
        delete out._session;
        send([[out]]);
      } else send([recipients.sessions.map((id): WsMsg => ({ ...msg, payload, _session: { type: 'websocket', id } }))]);
      done();
    };

    node.on('input', (msg: WsMsg, send, done) => {
      try {
        const session = sessionOf(msg);
        if (session !== undefined) {
          request(msg, session, send, done);
          return;
        }
        push(msg, send, done);
      } catch (thrown) {
        failInput(node, done, RED._('heatpump-ws-clients.status.failed'), errorOf(thrown));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (listener && typeof listener.removeListener === 'function') {
        listener.removeListener('opened', onOpened);
        listener.removeListener('closed', onClosed);
      }
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-ws-clients', HeatpumpWsClients);
};

export = init;
