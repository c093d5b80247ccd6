// Which Node-RED the tests run against. .ci/run points NODE_RED_PATH at a Node-RED 5 install for
// its second pass; otherwise the project's own devDependency (Node-RED 4.1) is used.
import path from 'node:path';

export const nodeRedPath: string = process.env.NODE_RED_PATH
  ? require.resolve(path.resolve(process.env.NODE_RED_PATH))
  : require.resolve('node-red');

export const projectRoot = path.resolve(__dirname, '..', '..', '..');

/** The compiled runtime module of one of our nodes, as Node-RED loads it. */
export function nodeModule(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(projectRoot, 'dist', 'nodes', name, `${name}.js`));
}
