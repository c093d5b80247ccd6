// An `http in` request as the API nodes need it (method, route, parameters, query, body, who logged
// in), taken from msg.req. No Node-RED import: the Express request is typed structurally.
import { parseAuthorization } from './http-auth';

export interface HttpCall {
  method: string;
  /** the Express route of the http in node, e.g. `/api/changelog/:id` */
  route: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  /**
   * the HTTP Basic user name the request came with, or null. Writes pass the login only with the
   * admin's credentials, so on a write this is the admin who made it (or any name with the login off).
   */
  user: string | null;
}

interface ExpressRequestLike {
  method?: unknown;
  route?: { path?: unknown };
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string | string[] | undefined>;
}

/** The request of a message from an `http in` node; undefined for any other message. */
export function httpCallOf(msg: object): HttpCall | undefined {
  const req = (msg as { req?: ExpressRequestLike }).req;
  if (!req || typeof req.route?.path !== 'string') return undefined;
  const presented = parseAuthorization(req.headers?.authorization);
  return {
    method: typeof req.method === 'string' ? req.method : 'GET',
    route: req.route.path,
    params: req.params ?? {},
    query: req.query ?? {},
    body: req.body,
    user: presented.scheme === 'basic' && presented.user !== '' ? presented.user : null,
  };
}
