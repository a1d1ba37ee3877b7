// A forward target as SRS Stack stores it in SRS_FORWARD_CONFIG[<platform>] ({platform, stream, server, secret,
// enabled, custom, label}), plus ours: `backup`, the stream the target continues from while `stream` is not
// live. The output URL is made as SRS Stack makes it (server + "/" + secret), and for srt:// a secret becomes
// the stream id when the server has none.

export interface ForwardConfig {
  /** SRS Stack's slot name: wx, bilibili, kuaishou, or forwarding-<n>-<hex> (any name containing forwarding-) */
  platform: string;
  /** the input: a stream name (any app) or app/stream; '' = the stream being published (the most recent one) */
  stream: string;
  /** rtmp://host[:port]/app, rtmps://..., or srt://host:port[?streamid=...] */
  server: string;
  /** the stream key */
  secret: string;
  enabled: boolean;
  /** SRS Stack's console: a custom platform (kept as given) */
  custom: boolean;
  label: string;
  /** ours: the stream to continue from while `stream` is not live ('' = none) */
  backup: string;
}

const PRESETS = new Set(['wx', 'bilibili', 'kuaishou']);

/** Why a platform name is not one SRS Stack accepts, or null. */
export function platformError(platform: string): string | null {
  if (PRESETS.has(platform) || platform.includes('forwarding-')) {
    if (platform.length > 128 || !/^[\w.\-]+$/.test(platform)) return `invalid platform=${platform.slice(0, 40)}: use letters, digits, - _ . (at most 128)`;
    return null;
  }
  return `invalid platform=${platform.slice(0, 40)}: use wx, bilibili, kuaishou, or a name containing forwarding- (e.g. forwarding-1-a1b2c3)`;
}

/** Why a stream reference (stream or backup) cannot name a stream, or null. */
export function streamRefError(ref: string): string | null {
  if (ref === '') return null;
  if (ref.length > 256) return 'is longer than 256 characters';
  const parts = ref.replace(/^\/+/, '').split('/');
  if (parts.length > 3 || parts.some((p) => !/^[\w.\-~]+$/.test(p) || /^\.+$/.test(p))) return 'must be a stream name (letters, digits, - _ . ~) or app/stream';
  return null;
}

/** SRS Stack's output URL: server + "/" + secret (the slash only when neither has one and the secret is set). */
export function forwardOutputUrl(c: Pick<ForwardConfig, 'server' | 'secret'>): string {
  const server = c.server.trim();
  const secret = c.secret.trim();
  if (/^srt:\/\//i.test(server)) {
    if (!secret || /[?&]streamid=/i.test(server)) return server;
    return `${server}${server.includes('?') ? '&' : '?'}streamid=${secret}`;
  }
  if (!secret) return server;
  return server.endsWith('/') || secret.startsWith('/') ? `${server}${secret}` : `${server}/${secret}`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A stored config (ours or SRS Stack's); null when it is not one. */
export function parseForwardConfig(text: string): ForwardConfig | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.platform !== 'string' || !o.platform) return null;
  return {
    platform: o.platform,
    stream: str(o.stream),
    server: str(o.server),
    secret: str(o.secret),
    enabled: o.enabled === true,
    custom: o.custom === true,
    label: str(o.label),
    backup: str(o.backup),
  };
}
