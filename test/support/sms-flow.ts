// Typed access to node-red-node-test-helper for the sms-gateway-bridge suites (the helper ships
// no types), plus core node modules (http in/response, mqtt) loaded from the Node-RED in use.
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { nodeModule, nodeRedPath } from './node-red';

export type NodeInit = (red: Record<string, unknown>) => unknown;

export interface TestNode extends EventEmitter {
  id: string;
  receive(msg: Record<string, unknown>): void;
  [key: string]: unknown;
}

export interface LogSpy {
  args: [{ level: number; msg: unknown; type?: string }][];
}

export interface Helper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  settings(settings: Record<string, unknown>): void;
  load(nodes: NodeInit[], flow: Record<string, unknown>[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  log(): LogSpy;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: Helper = require('node-red-node-test-helper');

export const bridgeModule = nodeModule('sms-gateway-bridge') as NodeInit;
export const configModule = nodeModule('sms-gateway-config') as NodeInit;

export function coreNode(relative: string): NodeInit {
  const resolved = require.resolve(`@node-red/nodes/core/${relative}`, { paths: [path.dirname(nodeRedPath)] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(resolved) as NodeInit;
}

/** Log lines of a level (helper.log() spy) whose message contains `text`. */
export function logged(text: string, level?: number): string[] {
  return helper
    .log()
    .args.map((call) => call[0])
    .filter((entry) => (level === undefined || entry.level === level) && String(entry.msg).includes(text))
    .map((entry) => String(entry.msg));
}

/** Collects messages a helper node receives and waits for the nth. */
export class Collector {
  readonly messages: Record<string, unknown>[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(node: TestNode) {
    node.on('input', (msg: Record<string, unknown>) => {
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => (this.messages.length >= w.count ? (w.resolve(), false) : true));
    });
  }

  /** The default deadline is generous: a busy CI machine can take seconds; a passing test does not wait for it. */
  async next(count = this.messages.length + 1, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    if (this.messages.length < count)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited for message ${count}, got ${this.messages.length}`)), timeoutMs);
        this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    const msg = this.messages[count - 1];
    if (!msg) throw new Error('missing message');
    return msg;
  }

  payloads(): Record<string, unknown>[] {
    return this.messages.map((m) => m.payload as Record<string, unknown>);
  }
}

export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
