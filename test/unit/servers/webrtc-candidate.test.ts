// The answer's host candidates: ?eip=, then CANDIDATE, then the request's X-Real-Host/Host; a loopback or
// unresolvable host gives the machine's own addresses for a socket bound to 0.0.0.0 (interface addresses,
// 127.0.0.1 last) or the bound address itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { candidatesFor, localCandidates } from '../../../src/servers/webrtc/candidate.js';
import { RtcError } from '../../../src/servers/webrtc/peer.js';

/** A request as the HTTP server hands it over: only its headers are read. */
function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

const interfaces = Object.values(networkInterfaces())
  .flatMap((l) => l ?? [])
  .filter((a) => a.family === 'IPv4' && !a.internal)
  .map((a) => a.address);
const wildcard = [...new Set(interfaces)].slice(0, 8).concat('127.0.0.1');

test('a loopback Host on a 0.0.0.0 socket offers the interface addresses, then 127.0.0.1', async () => {
  assert.deepEqual(localCandidates('0.0.0.0'), wildcard);
  assert.equal(localCandidates('0.0.0.0').at(-1), '127.0.0.1');
  assert.deepEqual(await candidatesFor(req({ host: 'localhost:2022' }), null, null, '0.0.0.0'), wildcard);
  assert.deepEqual(await candidatesFor(req({ host: '127.0.0.1:2022' }), null, null, '0.0.0.0'), wildcard);
  assert.deepEqual(await candidatesFor(req({ host: '127.1.2.3' }), null, null, '::'), wildcard);
  assert.deepEqual(await candidatesFor(req({ 'x-real-host': 'localhost' }), null, null, '0.0.0.0'), wildcard);
  assert.deepEqual(await candidatesFor(req({}), null, null, '0.0.0.0'), wildcard, 'no Host at all');
  assert.deepEqual(await candidatesFor(req({ host: 'no-such-host.invalid' }), null, null, '0.0.0.0'), wildcard, 'unresolvable');
});

test('a socket bound to one address offers that address for a loopback Host', async () => {
  assert.deepEqual(await candidatesFor(req({ host: 'localhost:2022' }), null, null, '127.0.0.1'), ['127.0.0.1']);
  assert.deepEqual(await candidatesFor(req({ host: 'localhost' }), null, null, '192.0.2.77'), ['192.0.2.77']);
  assert.deepEqual(localCandidates('::ffff:192.0.2.8'), ['192.0.2.8']);
});

test('?eip=, CANDIDATE, X-Real-Host and an IP Host are used as they are, alone', async () => {
  const r = req({ host: 'localhost:2022', 'x-real-host': '10.20.30.40:443' });
  assert.deepEqual(await candidatesFor(r, '203.0.113.7', '198.51.100.1', '0.0.0.0'), ['203.0.113.7']);
  assert.deepEqual(await candidatesFor(r, null, '198.51.100.1', '0.0.0.0'), ['198.51.100.1']);
  assert.deepEqual(await candidatesFor(r, null, 'localhost', '0.0.0.0'), ['127.0.0.1'], 'a CANDIDATE name is resolved');
  assert.deepEqual(await candidatesFor(r, null, null, '0.0.0.0'), ['10.20.30.40']);
  assert.deepEqual(await candidatesFor(req({ host: '192.0.2.9:2022' }), null, null, '0.0.0.0'), ['192.0.2.9']);
  await assert.rejects(candidatesFor(r, 'not-an-ip', null, '0.0.0.0'), (e: unknown) => e instanceof RtcError && e.status === 400 && /not an IP address/.test(e.message));
});
