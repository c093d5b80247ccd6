// saveAsText / loadText against a context that keeps values as the memory store does (the object
// itself) and one that keeps what a file store writes (the JSON of the scope, read back parsed).
import assert from 'node:assert/strict';
import { loadText, saveAsText, type ContextLike } from '../../nodes/shared/persist';

/** A one-scope context store: `serialize` keeps values as JSON would carry them (the file store after a restart). */
function contextStore(serialize: boolean): ContextLike & { kept: Map<string, unknown> } {
  const kept = new Map<string, unknown>();
  return {
    kept,
    get: (key, _store, callback) => callback(null, kept.get(key)),
    set: (key, value, _store, callback) => {
      kept.set(key, serialize ? (JSON.parse(JSON.stringify({ [key]: value })) as Record<string, unknown>)[key] : value);
      callback();
    },
  };
}

describe('saveAsText / loadText', () => {
  const state = { version: 1, devices: [{ device_id: 'site1', online: true, reading: { voltage: 230.5, note: 'a "quoted" \\ text' } }] };

  for (const serialize of [false, true]) {
    it(serialize ? 'a store that writes JSON keeps one text, read back as the state' : 'the memory store keeps the object; loading reads the state from it', async () => {
      const context = contextStore(serialize);
      await saveAsText(context, 'fleet', () => state);
      assert.equal(typeof context.kept.get('fleet'), serialize ? 'string' : 'object');
      assert.deepEqual(await loadText(context, 'fleet'), state);
    });
  }

  it('reads the state as it is when the store writes it, not as it was when saved', async () => {
    const context = contextStore(false);
    const live = { count: 1 };
    await saveAsText(context, 'k', () => live);
    live.count = 2;
    assert.deepEqual(await loadText(context, 'k'), { count: 2 });
  });

  it('reads a state an earlier version saved as an object, and nothing as undefined', async () => {
    const context = contextStore(true);
    context.kept.set('fleet', state);
    assert.deepEqual(await loadText(context, 'fleet'), state);
    assert.equal(await loadText(context, 'missing'), undefined);
  });

  it('a damaged text is a rejection for the owner to report, not a crash', async () => {
    const context = contextStore(true);
    context.kept.set('fleet', '{"version":1,"devi');
    await assert.rejects(loadText(context, 'fleet'), SyntaxError);
  });
});
