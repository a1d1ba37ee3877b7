// The headers every HTTP response carries, set in one place before any handler runs (SRS Stack's wrapper,
// SRS-STACK-API.md 12.3): `Server` naming us and the five CORS headers, once each, on the API, media,
// WHIP/WHEP, errors and static files alike; and any OPTIONS request (a CORS preflight) answered 200 with an
// empty body, without authentication or routing. A preflight that asks for headers gets them named: browsers
// do not let `*` cover Authorization (and, with credentials, read `*` literally), so a console or script on
// another origin sending `Authorization: Bearer` would otherwise be refused.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Allow-Methods': '*',
  'Access-Control-Expose-Headers': '*',
  'Access-Control-Allow-Credentials': 'true',
};

/**
 * Sets the common headers on `res` (handlers that add their own keep them: Node merges setHeader and
 * writeHead by name). Returns true when the request was an OPTIONS preflight and has been answered.
 */
export function applyCommonHeaders(req: IncomingMessage, res: ServerResponse, server: string): boolean {
  res.setHeader('Server', server);
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
  if (req.method !== 'OPTIONS') return false;
  const asked = req.headers['access-control-request-headers'];
  if (typeof asked === 'string' && /^[\w\-, ]{1,1000}$/.test(asked)) res.setHeader('Access-Control-Allow-Headers', `*, ${asked}`);
  res.writeHead(200, { 'Content-Length': 0 });
  res.end();
  return true;
}
