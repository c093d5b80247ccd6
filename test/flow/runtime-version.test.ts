// Guards the CI matrix: the suite really runs against the Node-RED .ci/run asks for
// (EXPECT_NODE_RED_MAJOR), and Node-RED 5 only on a Node.js it supports.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { nodeRedPath } from '../support/node-red';

function nodeRedVersion(): string {
  let dir = path.dirname(nodeRedPath);
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

describe('Node-RED under test', () => {
  it('is the version the CI run asked for', () => {
    const version = nodeRedVersion();
    console.log(`      Node-RED ${version} on Node.js ${process.version}`);
    const expected = process.env.EXPECT_NODE_RED_MAJOR;
    if (expected) assert.equal(version.split('.')[0], expected);
    if (Number(version.split('.')[0]) >= 5) assert.ok(Number(process.versions.node.split('.')[0]) >= 22, 'Node-RED 5 needs Node.js 22');
  });
});
