// Which host candidates the answer offers, in SRS's order: ?eip= on the request, else the CANDIDATE setting,
// else the address the client reached us by (X-Real-Host from a proxy, else Host), resolved to IPv4.
// When that address is loopback (http://localhost:2022 on the server's own machine) or cannot be resolved,
// the answer offers the machine's own addresses instead: a browser never checks from 127.0.0.1 (Chromium
// gathers no loopback candidates), so it checks from an interface address, and the UDP socket, bound to
// 0.0.0.0, answers from the address the kernel routes the reply by, which for a local peer is that same
// interface address. Offering every interface address (127.0.0.1 last) gives the browser one pair whose
// reply comes back from where it sent to, whichever interface it uses. SRS Stack does the same for
// `localhost` with the machine's private IPv4.
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';
import { RtcError } from './peer.js';

const LOOKUP_TIMEOUT_MS = 2000;
/** at most this many interface addresses are offered (a host with many bridges would flood the answer) */
const MAX_INTERFACE_CANDIDATES = 8;

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

function isLoopback4(ip: string): boolean {
  return ip.startsWith('127.');
}

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::' || ip === '';
}

/**
 * The addresses a peer on this machine or its networks can reach the UDP socket bound to `bound` by: the
 * bound address itself, or for a wildcard bind every non-internal IPv4 interface address, then 127.0.0.1.
 */
export function localCandidates(bound: string): string[] {
  const b = bound.startsWith('::ffff:') ? bound.slice(7) : bound;
  if (!isWildcard(b)) return [b];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !out.includes(a.address) && out.length < MAX_INTERFACE_CANDIDATES) out.push(a.address);
    }
  }
  out.push('127.0.0.1');
  return out;
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/**
 * The candidate IPs for this request, in order of preference, for a UDP socket bound to `bound`;
 * RtcError(400) for a bad ?eip=.
 */
export async function candidatesFor(
  req: IncomingMessage,
  eip: string | null,
  configured: string | null,
  bound: string,
): Promise<string[]> {
  if (eip) {
    if (!isIP(eip)) throw new RtcError(400, `eip=${JSON.stringify(eip)} is not an IP address; pass the public IP the browser should reach, e.g. eip=203.0.113.7`);
    return [eip];
  }
  if (configured) {
    if (isIP(configured)) return [configured];
    const r = await resolve4(configured);
    if (r) return [r];
  }
  for (const h of ['x-real-host', 'host']) {
    const v = header(req, h);
    if (!v) continue;
    const r = await resolve4(hostName(v));
    if (!r) continue;
    return isLoopback4(r) ? localCandidates(bound) : [r];
  }
  return localCandidates(bound);
}
