import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadShippedFlows, SEED_STATE_FILE, seedUserFlows, type FlowNode } from '../../scripts/lib/shipped-flows';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hp-flows-'));
}
function writeJson(dir: string, name: string, value: unknown): void {
  fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
}

describe('shipped flows (scripts/lib/shipped-flows)', function () {
  const dirs: string[] = [];
  const makeDir = () => {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  };
  after(function () {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('concatenates flows/*.json in file-name order and ignores other files', function () {
    const dir = makeDir();
    writeJson(dir, '10-b.json', [{ id: 'b1', type: 'tab' }]);
    writeJson(dir, '00-a.json', [{ id: 'a1', type: 'tab' }, { id: 'a2', type: 'inject', z: 'a1' }]);
    writeJson(dir, 'README.md', 'not a flow');
    assert.deepEqual(
      loadShippedFlows(dir).map((node) => node.id),
      ['a1', 'a2', 'b1'],
    );
  });

  it('returns an empty flow for an empty folder', function () {
    assert.deepEqual(loadShippedFlows(makeDir()), []);
  });

  it('rejects a node id used twice, naming both files', function () {
    const dir = makeDir();
    writeJson(dir, '00-a.json', [{ id: 'same', type: 'tab' }]);
    writeJson(dir, '10-b.json', [{ id: 'same', type: 'inject' }]);
    assert.throws(() => loadShippedFlows(dir), /10-b\.json: duplicate node id "same" \(also in flows\/00-a\.json\)/);
  });

  it('rejects invalid JSON, non-arrays and elements without id/type', function () {
    const bad = makeDir();
    writeJson(bad, '00-a.json', '[{"id": "x", "type": "tab"},');
    assert.throws(() => loadShippedFlows(bad), /flows\/00-a\.json: invalid JSON/);
    const object = makeDir();
    writeJson(object, '00-a.json', { id: 'x', type: 'tab' });
    assert.throws(() => loadShippedFlows(object), /expected a JSON array/);
    const noId = makeDir();
    writeJson(noId, '00-a.json', [{ type: 'tab' }]);
    assert.throws(() => loadShippedFlows(noId), /element 0 is not a flow node/);
  });

  it('the repository flows/ load without duplicate ids', function () {
    const nodes = loadShippedFlows();
    assert.ok(Array.isArray(nodes));
    assert.equal(new Set(nodes.map((node) => node.id)).size, nodes.length);
  });

  describe('seedUserFlows', function () {
    const v1: FlowNode[] = [{ id: 't1', type: 'tab', label: 'v1' }];
    const v2: FlowNode[] = [{ id: 't1', type: 'tab', label: 'v2' }];
    const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8')) as unknown;

    it('writes the shipped flow into a new user directory', function () {
      const dir = path.join(makeDir(), 'node-red');
      assert.equal(seedUserFlows(dir, v1), 'written');
      assert.deepEqual(read(dir), v1);
      assert.ok(fs.existsSync(path.join(dir, SEED_STATE_FILE)));
      assert.equal(seedUserFlows(dir, v1), 'unchanged');
    });

    it('replaces the previously shipped version with a new one', function () {
      const dir = makeDir();
      seedUserFlows(dir, v1);
      assert.equal(seedUserFlows(dir, v2), 'updated');
      assert.deepEqual(read(dir), v2);
    });

    it('keeps flows the user deployed from the editor', function () {
      const dir = makeDir();
      seedUserFlows(dir, v1);
      const edited = [{ id: 't1', type: 'tab', label: 'mine' }];
      writeJson(dir, 'flows.json', edited);
      assert.equal(seedUserFlows(dir, v2), 'kept-user-flows');
      assert.deepEqual(read(dir), edited);
    });

    it('keeps an existing flows.json it did not write, even an unreadable one', function () {
      const dir = makeDir();
      writeJson(dir, 'flows.json', '{oops');
      assert.equal(seedUserFlows(dir, v1), 'kept-user-flows');
      assert.equal(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8'), '{oops');
    });
  });
});
