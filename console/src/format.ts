// Small formatters shared by the pages.
export function duration(s: number): string {
  s = Math.max(0, Math.floor(s));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(x).padStart(2, '0')}`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

export function bytes(n: number | undefined): string {
  if (!n) return '0 B';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** the protocol of a client type (rtmp-play -> RTMP) */
export function protocolOf(type: string): string {
  if (type.startsWith('rtmp') || type.startsWith('fmle') || type.startsWith('flash')) return 'RTMP';
  return type.split('-')[0]!.toUpperCase();
}
