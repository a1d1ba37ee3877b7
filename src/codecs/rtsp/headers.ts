// The RTSP header fields a client reads and writes beyond HTTP's, RFC 2326 section 12: Transport (12.39: TCP
// interleaved channels or UDP port pairs), Session (12.37: the id and its timeout), RTP-Info (12.33: where each
// track's RTP sequence and timestamp start at the PLAY position) and Public (12.30: the methods the server has).
// Pure: text in, objects out.

export interface TransportSpec {
  /** 'RTP/AVP' (UDP) or 'RTP/AVP/TCP' */
  protocol: string;
  unicast: boolean;
  /** TCP: the RTP and RTCP channel numbers */
  interleaved?: [number, number];
  /** UDP: our RTP and RTCP ports */
  clientPort?: [number, number];
  /** UDP: the server's RTP and RTCP ports */
  serverPort?: [number, number];
  ssrc?: number;
  /** the server's address for UDP, when it says (else the RTSP connection's peer) */
  source?: string;
}

function pair(v: string | undefined, max: number): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v.trim());
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a + 1;
  return a <= max && b <= max ? [a, b] : undefined;
}

/** The first transport of a Transport header (a server answers with one); null when it is unreadable. */
export function parseTransport(value: string): TransportSpec | null {
  const first = value.split(',')[0]!.trim();
  const parts = first.split(';').map((p) => p.trim());
  const protocol = parts.shift() ?? '';
  if (!/^RTP\/AVP(\/(TCP|UDP))?$/i.test(protocol)) return null;
  const t: TransportSpec = { protocol: protocol.toUpperCase().replace('/UDP', ''), unicast: true };
  for (const p of parts) {
    const eq = p.indexOf('=');
    const k = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
    const v = eq < 0 ? undefined : p.slice(eq + 1).replace(/^"|"$/g, '');
    if (k === 'multicast') t.unicast = false;
    else if (k === 'interleaved') t.interleaved = pair(v, 255);
    else if (k === 'client_port') t.clientPort = pair(v, 65535);
    else if (k === 'server_port') t.serverPort = pair(v, 65535);
    else if (k === 'source' && v) t.source = v;
    else if (k === 'ssrc' && v && /^[0-9a-fA-F]{1,8}$/.test(v)) t.ssrc = parseInt(v, 16) >>> 0;
  }
  return t;
}

/** The Transport header of a SETUP: TCP interleaved on two channels, or UDP to two of our ports. */
export function writeTransport(t: { tcp: true; channels: [number, number] } | { tcp: false; ports: [number, number] }): string {
  return t.tcp ? `RTP/AVP/TCP;unicast;interleaved=${t.channels[0]}-${t.channels[1]}` : `RTP/AVP;unicast;client_port=${t.ports[0]}-${t.ports[1]}`;
}

export interface SessionSpec {
  id: string;
  /** seconds; RFC 2326's default is 60 */
  timeout: number;
}

/** The Session header: `id[;timeout=N]`; null when there is no id. */
export function parseSession(value: string): SessionSpec | null {
  const [id, ...rest] = value.split(';').map((s) => s.trim());
  if (!id) return null;
  let timeout = 60;
  for (const r of rest) {
    const m = /^timeout\s*=\s*(\d+)$/i.exec(r);
    if (m && Number(m[1]) > 0) timeout = Number(m[1]);
  }
  return { id, timeout };
}

export interface RtpInfo {
  url: string;
  seq?: number;
  rtptime?: number;
}

/** The RTP-Info header: one entry per track, `url=...;seq=N;rtptime=N`, comma separated. */
export function parseRtpInfo(value: string): RtpInfo[] {
  const out: RtpInfo[] = [];
  // URLs may hold commas, but each entry starts with url=.
  for (const entry of value.split(/,(?=\s*url=)/i)) {
    const info: RtpInfo = { url: '' };
    for (const p of entry.split(';')) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (k === 'url') info.url = v;
      else if (k === 'seq' && /^\d+$/.test(v)) info.seq = Number(v) & 0xffff;
      else if (k === 'rtptime' && /^\d+$/.test(v)) info.rtptime = Number(v) >>> 0;
    }
    if (info.url) out.push(info);
  }
  return out;
}

/** The methods of a Public header, upper case. */
export function parsePublic(value: string): Set<string> {
  return new Set(value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean));
}

/**
 * A track's control URL (RFC 2326 C.1.1): absolute as is, `*` for the base itself, else relative to the
 * base (Content-Base, else Content-Location, else the request URL), which is treated as a directory.
 */
export function resolveControl(base: string, control: string): string {
  if (control === '' || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  const b = base.endsWith('/') ? base : `${base}/`;
  return b + control.replace(/^\/+/, '');
}

/** The same track for RTP-Info matching: URLs compared without credentials and trailing slashes. */
export function sameControl(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/^(rtsps?:\/\/)[^@/]*@/i, '$1').replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b) || norm(a).endsWith(`/${norm(b)}`) || norm(b).endsWith(`/${norm(a)}`);
}
