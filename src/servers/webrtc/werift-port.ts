// The adapter that puts a werift RTCPeerConnection on the shared UDP port. werift's ICE agent opens a UDP
// socket per host address while gathering; we configure it to gather nothing (no IPv4/IPv6 host addresses,
// no STUN/TURN, ICE-lite) and, between setRemoteDescription and createAnswer, hand each ICE connection one
// StunProtocol whose transport is a MuxTransport of the shared port, with host candidates for the
// advertised addresses. werift then advertises those candidates, answers binding requests through it, and
// runs DTLS/SRTP over it. This touches werift internals (Connection.protocols, ensureProtocol, the
// StunProtocol's transport), so they are checked at run time and fail with a clear message if werift changes.
import { Candidate, StunProtocol, candidateFoundation, candidatePriority, type RTCPeerConnection } from 'werift';
import { randomId } from '../../core/ids.js';
import type { MuxTransport, RtcUdpMux, UdpAddress } from './udp-mux.js';

/** The members of werift's ICE Connection (werift/lib/ice/src/ice.js) this adapter relies on. */
interface IceConnectionInternals {
  localUsername: string;
  localPassword: string;
  generation: number;
  iceLite: boolean;
  protocols: unknown[];
  ensureProtocol(protocol: unknown): void;
  /** ufrag -> password of past generations, consulted when answering binding requests */
  userHistory?: Record<string, string>;
}

/** The members of werift's StunProtocol this adapter sets or calls. */
interface StunProtocolInternals {
  transport: unknown;
  localIp?: string;
  localCandidate?: Candidate;
  datagramReceived(data: Buffer, addr: UdpAddress): void;
}

function internals(pc: RTCPeerConnection): IceConnectionInternals[] {
  return pc.iceTransports.map((t) => {
    const c = t.connection as unknown as Partial<IceConnectionInternals>;
    if (
      typeof c.ensureProtocol !== 'function' ||
      !Array.isArray(c.protocols) ||
      typeof c.localUsername !== 'string' ||
      typeof c.localPassword !== 'string'
    ) {
      throw new Error('werift ICE internals changed (Connection.ensureProtocol/protocols): the shared-port adapter needs updating');
    }
    return c as IceConnectionInternals;
  });
}

/** A host candidate of `conn` for `ip`:`port`; `rank` 0 is the most preferred. */
function hostCandidate(conn: IceConnectionInternals, ip: string, port: number, rank: number): Candidate {
  return new Candidate(
    candidateFoundation('host', 'udp', ip),
    1,
    'udp',
    candidatePriority('host', 65535 - rank),
    ip,
    port,
    'host',
    undefined,
    undefined,
    undefined,
    conn.generation,
    conn.localUsername,
  );
}

/**
 * Attaches every ICE transport of `pc` to the shared port, advertising each of `ips` (most preferred first)
 * on `port` as a host candidate. Call after setRemoteDescription (which creates the transports) and before
 * createAnswer. Returns the transports (one per ICE transport; one with BUNDLE), whose close() releases the
 * port's bindings.
 *
 * One StunProtocol per ICE transport receives everything: a datagram on the shared socket does not say
 * which of our addresses it was sent to, and it needs not: the reply goes back through the one socket
 * whatever pair the browser checked. The other addresses get a StunProtocol each that only advertises its
 * candidate (werift lists the candidates of its protocols in the answer) and shares the transport.
 */
export function attachSharedPort(pc: RTCPeerConnection, mux: RtcUdpMux, ips: readonly string[], port: number): MuxTransport[] {
  if (ips.length === 0) throw new Error('no candidate address to advertise');
  const conns = internals(pc);
  if (conns.length === 0) throw new Error('no ICE transport: set the remote description first');
  const out: MuxTransport[] = [];
  for (const conn of conns) {
    if (!conn.iceLite) throw new Error('the shared-port adapter needs an ICE-lite peer connection (iceLite: true)');
    // werift's ufrag is 4 hex digits: fine for one socket per session, far too few to tell sessions apart
    // on a shared port. Give each session a longer one, unique on the port, before the answer is made.
    let ufrag = randomId(12);
    while (mux.has(ufrag)) ufrag = randomId(12);
    conn.localUsername = ufrag;
    if (conn.userHistory) conn.userHistory[ufrag] = conn.localPassword;
    const transport = mux.create(ufrag, conn.localPassword);
    ips.forEach((ip, rank) => {
      const protocol = new StunProtocol() as unknown as StunProtocolInternals;
      if (typeof protocol.datagramReceived !== 'function') {
        throw new Error('werift StunProtocol internals changed (datagramReceived): the shared-port adapter needs updating');
      }
      protocol.transport = transport;
      protocol.localIp = ip;
      protocol.localCandidate = hostCandidate(conn, ip, port, rank);
      if (rank === 0) {
        transport.onData = (data, addr) => protocol.datagramReceived(data, addr);
        conn.ensureProtocol(protocol);
      }
      conn.protocols.push(protocol);
    });
    out.push(transport);
  }
  return out;
}
