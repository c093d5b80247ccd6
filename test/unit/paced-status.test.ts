import assert from 'node:assert/strict';
import { PacedStatus } from '../../nodes/shared/paced-status';

type Shown = { fill?: string; shape?: string; text?: string };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder() {
  const shown: Shown[] = [];
  return { shown, node: { status: (s: Shown) => shown.push(s) } };
}

describe('PacedStatus', () => {
  it('shows the first status at once and only the latest of a burst after the interval', async () => {
    const { shown, node } = recorder();
    const status = new PacedStatus(node, 40);
    let built = 0;
    const text = (t: string) => () => {
      built += 1;
      return t;
    };
    status.show('ok', text('1'));
    status.show('ok', text('2'));
    status.show('tracking', text('3'));
    assert.deepEqual(shown.map((s) => s.text), ['1']);
    await sleep(60);
    assert.deepEqual(shown, [
      { fill: 'green', shape: 'dot', text: '1' },
      { fill: 'blue', shape: 'dot', text: '3' },
    ]);
    assert.equal(built, 2, 'texts of statuses never shown are never built');
  });

  it('shows a failure at once, drops what was pending, and passes the error to done', async () => {
    const { shown, node } = recorder();
    const status = new PacedStatus(node, 40);
    const errors: (Error | undefined)[] = [];
    status.show('ok', () => 'first');
    status.show('ok', () => 'pending');
    status.fail((err) => errors.push(err), 'bad input', 'boom');
    await sleep(60);
    assert.deepEqual(shown.map((s) => s.text), ['first', 'bad input']);
    assert.equal(shown[1]?.fill, 'red');
    assert.equal(errors[0]?.message, 'boom');
  });

  it('sets nothing after cancel (node closed)', async () => {
    const { shown, node } = recorder();
    const status = new PacedStatus(node, 20);
    status.show('ok', () => 'a');
    status.show('ok', () => 'b');
    status.cancel();
    await sleep(40);
    assert.deepEqual(shown.map((s) => s.text), ['a']);
  });
});
