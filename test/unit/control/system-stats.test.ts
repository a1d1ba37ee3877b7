// The /proc readers behind /api/v1/summaries, on text as Linux writes it, and the sampler on this machine's
// real /proc: two samples give rates, fractions stay within 0..1.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import {
  SystemStats,
  parseConnections,
  parseCpuList,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
} from '../../../src/control/api/system-stats.js';

test('/proc/stat: all CPU jiffies and the idle part (idle + iowait)', () => {
  const r = parseProcStat('cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\nintr 1 2\n');
  assert.deepEqual(r, { total: 980, idle: 820 });
  assert.deepEqual(parseProcStat('garbage'), { total: 0, idle: 0 });
});

test('/proc/meminfo in kB', () => {
  const m = parseMeminfo('MemTotal:       24684084 kB\nMemFree:        23419644 kB\nActive(anon):     1234 kB\nHugePages_Total:       0\n');
  assert.equal(m.get('MemTotal'), 24684084);
  assert.equal(m.get('Active(anon)'), 1234);
  assert.equal(m.get('HugePages_Total'), 0);
});

test('/proc/diskstats: whole disks only (no partitions, loop or zram)', () => {
  const text = [
    '   7       0 loop0 5 0 999 0 0 0 999 0 0 999 0',
    ' 254       0 vda 42330 9155 2812386 13072 21127 59824 3134416 17020 0 6964 31104 6971 48 130200 679 3810 332',
    ' 254       1 vda1 40000 9000 2800000 13000 21000 59000 3100000 17000 0 6900 31000',
    ' 259       0 nvme0n1 10 0 100 0 20 0 200 0 0 50 0',
    ' 259       1 nvme0n1p1 10 0 100 0 20 0 200 0 0 50 0',
    ' 253       0 zram0 1 0 8 0 1 0 8 0 0 1 0',
    'short line',
  ].join('\n');
  const d = parseDiskstats(text);
  assert.equal(d.read, 2812386 + 100);
  assert.equal(d.written, 3134416 + 200);
  assert.deepEqual([...d.ioMs.keys()].sort(), ['nvme0n1', 'vda']);
  assert.equal(d.ioMs.get('vda'), 6964);
});

test('/proc/net/dev, /proc/net/sockstat + snmp, cpu lists', () => {
  const dev = parseNetDev(
    'Inter-|   Receive |  Transmit\n face |bytes    packets|bytes\n    lo: 84268381   74418    0    0    0     0          0         0 84268381   74418    0    0    0     0       0          0\n  eth0: 378303497   12363    0    0    0     0          0         0  1538666    9283    0    0    0     0       0          0\n',
  );
  assert.deepEqual(dev.get('eth0'), { recv: 378303497, send: 1538666 });
  assert.deepEqual(dev.get('lo'), { recv: 84268381, send: 84268381 });
  const c = parseConnections(
    'sockets: used 170\nTCP: inuse 12 orphan 0 tw 7 alloc 20 mem 254\nUDP: inuse 3 mem 38\n',
    'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs\nTcp: 1 200 120000 -1 670 587 28 76 9 67349\n',
  );
  assert.deepEqual(c, { sys: 27, established: 9, timeWait: 7, udp: 3 });
  assert.deepEqual(parseConnections('', ''), { sys: 0, established: 0, timeWait: 0, udp: 0 });
  assert.equal(parseCpuList('0-3,6\n'), 5);
  assert.equal(parseCpuList('0'), 1);
  assert.equal(parseCpuList(''), 0);
});

test('the sampler on this machine: real figures, rates after two samples', { skip: existsSync('/proc/stat') ? false : 'no /proc here' }, async () => {
  const s = new SystemStats(60_000);
  await s.start();
  try {
    const f1 = s.figures;
    assert.ok(f1.mem_ram_kbyte > 0);
    assert.ok(f1.uptime > 0);
    assert.ok(f1.cpus_online >= 1);
    // burn a little CPU so the process share is above 0
    const until = Date.now() + 150;
    while (Date.now() < until) Math.sqrt(Math.random());
    await s.sample();
    const f2 = s.figures;
    assert.ok(f2.self_cpu_percent > 0, `self cpu ${f2.self_cpu_percent}`);
    for (const k of ['cpu_percent', 'mem_ram_percent', 'disk_busy_percent', 'mem_swap_percent'] as const) {
      assert.ok(f2[k] >= 0 && f2[k] <= 1, `${k} is a fraction: ${f2[k]}`);
    }
    assert.ok(f2.net_sample_time >= f1.net_sample_time);
  } finally {
    s.stop();
  }
});
