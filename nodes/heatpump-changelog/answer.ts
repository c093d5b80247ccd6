// The answer to a valid change log or event log API request, read from or written to the store. Pure
// over the store; `now` is passed in.
import type { LogRequest } from './request';
import type { LogStore } from '../heatpump-database/store';

export interface Answer {
  statusCode: number;
  payload: unknown;
}

const notFound = (id: number): Answer => ({ statusCode: 404, payload: { error: `no change log entry ${id}` } });
const notANote = (id: number): Answer => ({ statusCode: 409, payload: { error: `entry ${id} is a recorded setting change: only notes can be edited or deleted` } });

/** The answer to a valid request, read from or written to the store. */
export function answer(request: LogRequest, store: LogStore, now: number): Answer {
  switch (request.kind) {
    case 'list': {
      const entries = store.changelog(request.filter);
      return { statusCode: 200, payload: { count: entries.length, entries } };
    }
    case 'events': {
      const events = store.events(request.filter);
      return { statusCode: 200, payload: { count: events.length, events } };
    }
    case 'add':
      return { statusCode: 201, payload: store.addNote({ text: request.text, device_id: request.device_id, author: request.author, time: request.time ?? now }) };
    case 'update': {
      const entry = store.updateNote(request.id, request.update, now);
      if (!entry) return notFound(request.id);
      return entry.kind === 'note' ? { statusCode: 200, payload: entry } : notANote(request.id);
    }
    case 'delete': {
      const entry = store.deleteNote(request.id);
      if (!entry) return notFound(request.id);
      return entry.kind === 'note' ? { statusCode: 200, payload: { deleted: entry } } : notANote(request.id);
    }
  }
}
