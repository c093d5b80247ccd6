import assert from 'node:assert/strict';
import { RequestNumbers } from '../../nodes/heatpump-query/browser-requests';
import { NewestAnswers } from '../../nodes/heatpump-response/overtaken';

describe('heatpump-response: answers overtaken by a newer request of the same browser', () => {
  // [query node, browser, request number] in the order the answers arrive -> admitted?
  const cases: Array<{ name: string; answers: Array<[string, string, number]>; admitted: boolean[]; remembered?: number }> = [
    { name: 'in order', answers: [['q', 'A', 1], ['q', 'A', 2]], admitted: [true, true] },
    { name: 'the older answer last', answers: [['q', 'A', 2], ['q', 'A', 1]], admitted: [true, false] },
    { name: 'the same request answered twice', answers: [['q', 'A', 1], ['q', 'A', 1]], admitted: [true, true] },
    { name: 'other browsers are apart', answers: [['q', 'A', 2], ['q', 'B', 1]], admitted: [true, true] },
    { name: 'other query nodes are apart', answers: [['q', 'A', 2], ['p', 'A', 1]], admitted: [true, true] },
    { name: 'the least recently answered browser is forgotten beyond the limit', answers: [['q', 'A', 5], ['q', 'B', 6], ['q', 'C', 7], ['q', 'A', 1]], admitted: [true, true, true, true], remembered: 2 },
    { name: 'an answer keeps its browser remembered', answers: [['q', 'A', 5], ['q', 'B', 6], ['q', 'A', 7], ['q', 'C', 8], ['q', 'A', 1]], admitted: [true, true, true, true, false], remembered: 2 },
  ];
  for (const { name, answers, admitted, remembered } of cases) {
    it(name, () => {
      const newest = new NewestAnswers(remembered);
      assert.deepEqual(answers.map(([query, socketId, sequence]) => newest.admit(query, socketId, sequence)), admitted);
    });
  }
});

describe('heatpump-query: a browser request is numbered by the choice (message) it comes from', () => {
  // [browser, message id] in the order the requests arrive -> numbers
  const cases: Array<{ name: string; requests: Array<[string, string]>; numbers: number[]; browsers?: number }> = [
    { name: 'one message asking twice shares a number', requests: [['A', 'm1'], ['A', 'm1']], numbers: [1, 1] },
    { name: 'a new message is a new choice', requests: [['A', 'm1'], ['A', 'm2']], numbers: [1, 2] },
    { name: "another browser's requests in between change nothing", requests: [['A', 'm1'], ['B', 'm2'], ['A', 'm1']], numbers: [1, 2, 1] },
    { name: 'an older message asking after a newer one is numbered anew', requests: [['A', 'm1'], ['A', 'm2'], ['A', 'm1']], numbers: [1, 2, 3] },
    { name: 'the least recently asking browser is forgotten beyond the limit', requests: [['A', 'm1'], ['B', 'm2'], ['C', 'm3'], ['A', 'm1']], numbers: [1, 2, 3, 4], browsers: 2 },
  ];
  for (const { name, requests, numbers, browsers } of cases) {
    it(name, () => {
      let count = 0;
      const requestNumbers = new RequestNumbers(() => ++count, browsers);
      assert.deepEqual(requests.map(([socketId, msgid]) => requestNumbers.number(socketId, msgid)), numbers);
    });
  }
});
