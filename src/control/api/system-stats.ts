// Host and process figures for SRS's /api/v1/summaries, sampled every few seconds from Linux's /proc (as SRS
// does in srs_app_utility.cpp), so a request never waits on the filesystem: CPU (/proc/stat and
// process.cpuUsage), memory (/proc/meminfo), load (/proc/loadavg), uptime (/proc/uptime), disk throughput and
// busy time (/proc/diskstats), network bytes (/proc/net/dev) and connection counts (/proc/net/sockstat,
// /proc/net/snmp). Percentages are fractions (0.25 = 25 %), as SRS reports them. On a system without /proc the
// figures stay 0.
import { readFile } from 'node:fs/promises';
import { cpus as osCpus, networkInterfaces } from 'node:os';

/** What one /proc read found (cumulative counters; the sampler turns them into rates). */
export interface ProcSnapshot {
  at: number;
  /** jiffies: all CPU time, and the idle part (idle + iowait) */
  cpuTotal: number;
  cpuIdle: number;
  /** this process's CPU time, microseconds */
  selfCpuUs: number;
  meminfo: Map<string, number>;
  uptime: number;
  idleTime: number;
  load: [number, number, number];
  /** whole disks: sectors read, written, ms doing I/O */
  disk: { read: number; written: number; ioMs: Map<string, number> };
  /** bytes of devices with a public address, and of the others (loopback, private) */
  net: { recv: number; send: number; recvi: number; sendi: number };
  conn: { sys: number; established: number; timeWait: number; udp: number };
  cpusOnline: number;
}

export interface SystemFigures {
  cpu_percent: number;
  self_cpu_percent: number;
  disk_read_KBps: number;
  disk_write_KBps: number;
  disk_busy_percent: number;
  mem_ram_kbyte: number;
  mem_ram_percent: number;
  mem_swap_kbyte: number;
  mem_swap_percent: number;
  cpus: number;
  cpus_online: number;
  uptime: number;
  ilde_time: number;
  load_1m: number;
  load_5m: number;
  load_15m: number;
  net_sample_time: number;
  net_recv_bytes: number;
  net_send_bytes: number;
  net_recvi_bytes: number;
  net_sendi_bytes: number;
  conn_sys: number;
  conn_sys_et: number;
  conn_sys_tw: number;
  conn_sys_udp: number;
}

async function read(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

const round = (n: number, digits = 4) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : 0);

/** /proc/stat's first line: `cpu user nice system idle iowait irq softirq steal ...` (jiffies). */
export function parseProcStat(text: string): { total: number; idle: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return { total: 0, idle: 0 };
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  return { total, idle: (v[3] ?? 0) + (v[4] ?? 0) };
}

/** /proc/meminfo: `Name:   1234 kB` -> Name -> 1234 (kB). */
export function parseMeminfo(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.split('\n')) {
    const x = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(l);
    if (x) m.set(x[1]!, Number(x[2]));
  }
  return m;
}

/** /proc/diskstats of whole disks (partitions, loop and RAM devices are left out). */
export function parseDiskstats(text: string): { read: number; written: number; ioMs: Map<string, number> } {
  const rows = text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 14 && !/^(loop|ram|zram|sr|fd)\d/.test(f[2]!));
  const names = new Set(rows.map((f) => f[2]!));
  const isPartition = (n: string) => [...names].some((o) => o !== n && n.startsWith(o) && /^p?\d+$/.test(n.slice(o.length)));
  let read = 0;
  let written = 0;
  const ioMs = new Map<string, number>();
  for (const f of rows) {
    if (isPartition(f[2]!)) continue;
    read += Number(f[5]) || 0;
    written += Number(f[9]) || 0;
    ioMs.set(f[2]!, Number(f[12]) || 0);
  }
  return { read, written, ioMs };
}

/** /proc/net/dev: bytes received and sent per device. */
export function parseNetDev(text: string): Map<string, { recv: number; send: number }> {
  const m = new Map<string, { recv: number; send: number }>();
  for (const l of text.split('\n')) {
    const x = /^\s*([^:\s]+):\s*(.*)$/.exec(l);
    if (!x) continue;
    const f = x[2]!.trim().split(/\s+/).map(Number);
    m.set(x[1]!, { recv: f[0] || 0, send: f[8] || 0 });
  }
  return m;
}

/** Connection counts as SRS computes them: TCP sockets allocated + in TIME_WAIT, established, UDP in use. */
export function parseConnections(sockstat: string, snmp: string): { sys: number; established: number; timeWait: number; udp: number } {
  const field = (line: string | undefined, name: string) => {
    const x = line ? new RegExp(`\\b${name} (\\d+)`).exec(line) : null;
    return x ? Number(x[1]) : 0;
  };
  const lines = sockstat.split('\n');
  const tcp = lines.find((l) => l.startsWith('TCP:'));
  const udp = lines.find((l) => l.startsWith('UDP:'));
  const tw = field(tcp, 'tw');
  const tcpRows = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  let established = 0;
  if (tcpRows.length >= 2) {
    const names = tcpRows[0]!.split(/\s+/);
    const values = tcpRows[1]!.split(/\s+/);
    established = Number(values[names.indexOf('CurrEstab')]) || 0;
  }
  return { sys: field(tcp, 'alloc') + tw, established, timeWait: tw, udp: field(udp, 'inuse') };
}

/** /sys/devices/system/cpu/online, e.g. `0-3,6`: how many CPUs. */
export function parseCpuList(text: string): number {
  let n = 0;
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isFinite(a)) continue;
    n += b !== undefined && Number.isFinite(b) ? b - a + 1 : 1;
  }
  return n;
}

/** True for an address routable on the internet (not loopback, private, link-local or ULA). */
function isPublicAddress(a: string, family: string): boolean {
  if (family === 'IPv4') {
    const [x = 0, y = 0] = a.split('.').map(Number);
    return !(x === 10 || x === 127 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 169 && y === 254) || (x === 100 && y >= 64 && y <= 127) || x === 0);
  }
  const l = a.toLowerCase();
  return !(l === '::1' || l.startsWith('fe80') || l.startsWith('fc') || l.startsWith('fd'));
}

/** Takes one snapshot of /proc. */
export async function readProc(): Promise<ProcSnapshot> {
  const [stat, meminfo, uptime, loadavg, diskstats, netdev, sockstat, snmp, online] = await Promise.all([
    read('/proc/stat'),
    read('/proc/meminfo'),
    read('/proc/uptime'),
    read('/proc/loadavg'),
    read('/proc/diskstats'),
    read('/proc/net/dev'),
    read('/proc/net/sockstat'),
    read('/proc/net/snmp'),
    read('/sys/devices/system/cpu/online'),
  ]);
  const usage = process.cpuUsage();
  const cpu = parseProcStat(stat);
  const [up = 0, idle = 0] = uptime.trim().split(/\s+/).map(Number);
  const [l1 = 0, l5 = 0, l15 = 0] = loadavg.trim().split(/\s+/).map(Number);
  const publicDevices = new Set<string>();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => isPublicAddress(a.address, String(a.family)))) publicDevices.add(name);
  }
  const net = { recv: 0, send: 0, recvi: 0, sendi: 0 };
  for (const [name, b] of parseNetDev(netdev)) {
    if (publicDevices.has(name)) {
      net.recv += b.recv;
      net.send += b.send;
    } else {
      net.recvi += b.recv;
      net.sendi += b.send;
    }
  }
  return {
    at: Date.now(),
    cpuTotal: cpu.total,
    cpuIdle: cpu.idle,
    selfCpuUs: usage.user + usage.system,
    meminfo: parseMeminfo(meminfo),
    uptime: up,
    idleTime: idle,
    load: [l1, l5, l15],
    disk: parseDiskstats(diskstats),
    net,
    conn: parseConnections(sockstat, snmp),
    cpusOnline: parseCpuList(online),
  };
}

/** Samples /proc every `intervalMs`; `figures` is the last sample's view (rates over the last interval). */
export class SystemStats {
  private timer: NodeJS.Timeout | null = null;
  private last: ProcSnapshot | null = null;
  private sampling: Promise<void> | null = null;
  figures: SystemFigures = SystemStats.zero();

  constructor(private readonly intervalMs = 5000) {}

  static zero(): SystemFigures {
    const n = osCpus().length;
    return {
      cpu_percent: 0,
      self_cpu_percent: 0,
      disk_read_KBps: 0,
      disk_write_KBps: 0,
      disk_busy_percent: 0,
      mem_ram_kbyte: 0,
      mem_ram_percent: 0,
      mem_swap_kbyte: 0,
      mem_swap_percent: 0,
      cpus: n,
      cpus_online: n,
      uptime: 0,
      ilde_time: 0,
      load_1m: 0,
      load_5m: 0,
      load_15m: 0,
      net_sample_time: 0,
      net_recv_bytes: 0,
      net_send_bytes: 0,
      net_recvi_bytes: 0,
      net_sendi_bytes: 0,
      conn_sys: 0,
      conn_sys_et: 0,
      conn_sys_tw: 0,
      conn_sys_udp: 0,
    };
  }

  /** Takes the first sample now (so the figures are filled at once) and then one every interval. */
  async start(): Promise<void> {
    if (this.timer) return;
    await this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample (public for tests); overlapping calls share one read. */
  sample(): Promise<void> {
    this.sampling ??= readProc()
      .then((s) => this.update(s))
      .catch(() => undefined)
      .finally(() => {
        this.sampling = null;
      });
    return this.sampling;
  }

  private update(s: ProcSnapshot): void {
    const p = this.last;
    const f = { ...this.figures };
    const mem = s.meminfo;
    const total = mem.get('MemTotal') ?? 0;
    const inUse = total - (mem.get('MemFree') ?? 0) - (mem.get('Buffers') ?? 0) - (mem.get('Cached') ?? 0);
    const swap = mem.get('SwapTotal') ?? 0;
    f.mem_ram_kbyte = total;
    f.mem_ram_percent = total > 0 ? round(inUse / total) : 0;
    f.mem_swap_kbyte = swap;
    f.mem_swap_percent = swap > 0 ? round((swap - (mem.get('SwapFree') ?? 0)) / swap) : 0;
    f.cpus = osCpus().length;
    f.cpus_online = s.cpusOnline || f.cpus;
    f.uptime = round(s.uptime, 2);
    f.ilde_time = round(s.idleTime, 2);
    [f.load_1m, f.load_5m, f.load_15m] = s.load.map((x) => round(x, 2)) as [number, number, number];
    f.net_sample_time = s.at;
    f.net_recv_bytes = s.net.recv;
    f.net_send_bytes = s.net.send;
    f.net_recvi_bytes = s.net.recvi;
    f.net_sendi_bytes = s.net.sendi;
    f.conn_sys = s.conn.sys;
    f.conn_sys_et = s.conn.established;
    f.conn_sys_tw = s.conn.timeWait;
    f.conn_sys_udp = s.conn.udp;
    if (p && s.at > p.at) {
      const sec = (s.at - p.at) / 1000;
      const jiffies = s.cpuTotal - p.cpuTotal;
      f.cpu_percent = jiffies > 0 ? round(1 - (s.cpuIdle - p.cpuIdle) / jiffies) : 0;
      f.self_cpu_percent = round((s.selfCpuUs - p.selfCpuUs) / (sec * 1e6));
      // sectors are 512 bytes
      f.disk_read_KBps = Math.max(0, Math.round(((s.disk.read - p.disk.read) * 512) / 1024 / sec));
      f.disk_write_KBps = Math.max(0, Math.round(((s.disk.written - p.disk.written) * 512) / 1024 / sec));
      let busy = 0;
      for (const [name, ms] of s.disk.ioMs) busy = Math.max(busy, (ms - (p.disk.ioMs.get(name) ?? ms)) / (sec * 1000));
      f.disk_busy_percent = round(Math.min(1, Math.max(0, busy)));
    }
    this.last = s;
    this.figures = f;
  }
}
