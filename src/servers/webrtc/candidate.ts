// Which IP the answer's ICE candidate names, in SRS's order: ?eip= on the request, else the CANDIDATE
// setting, else the address the client reached us by (X-Real-Host from a proxy, else Host), resolved to an
// IPv4 address; failing all that, the first non-internal IPv4 interface.
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';
import { RtcError } from './peer.js';

const LOOKUP_TIMEOUT_MS = 2000;

/** The host name of a Host-style header value ("name:port", "[v6]:port"). */
export function hostName(header: string): string {
  const h = header.trim();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const i = h.lastIndexOf(':');
  return i > 0 && h.indexOf(':') === i ? h.slice(0, i) : h;
}

async function resolve4(name: string): Promise<string | null> {
  if (isIPv4(name)) return name;
  if (isIP(name) || name === '') return null; // IPv6: the shared port is IPv4
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await Promise.race([
      lookup(name, { family: 4 }),
      new Promise<null>((res) => {
        timer = setTimeout(() => res(null), LOOKUP_TIMEOUT_MS);
      }),
    ]);
    return r ? r.address : null;
  } catch {
    return null;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function firstInterfaceIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** The candidate IP for this request; RtcError(400) for a bad ?eip=. */
export async function candidateFor(req: IncomingMessage, eip: string | null, configured: string | null): Promise<string> {
  if (eip) {
    if (!isIP(eip)) throw new RtcError(400, `eip=${JSON.stringify(eip)} is not an IP address; pass the public IP the browser should reach, e.g. eip=203.0.113.7`);
    return eip;
  }
  if (configured) {
    if (isIP(configured)) return configured;
    const r = await resolve4(configured);
    if (r) return r;
  }
  for (const h of ['x-real-host', 'host']) {
    const v = header(req, h);
    if (!v) continue;
    const r = await resolve4(hostName(v));
    if (r) return r;
  }
  return firstInterfaceIPv4();
}
