// Dashboard, refreshed every 2 s: live streams (codecs, size, frame rate, kbps, frames dropped for slow viewers, viewers per protocol, uptime), clients
// (kick one), and charts of the server's CPU, memory, network and viewers over the last 5 minutes.
import { Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { SrsClient, SrsStream, SrsSummaries } from '../api/types';
import { TimeChart } from '../components/time-chart';
import { duration, protocolOf } from '../format';

const WINDOW = 150; // samples: 5 minutes at 2 s

interface History { t: number[]; cpu: number[]; sysCpu: number[]; mem: number[]; recv: number[]; send: number[]; viewers: number[] }
const emptyHistory = (): History => ({ t: [], cpu: [], sysCpu: [], mem: [], recv: [], send: [], viewers: [] });
const HISTORY_KEY = 'srs-node.dashboard-history';

/** The samples of this tab's last 5 minutes, so the charts survive a visit to another page. */
function loadHistory(): History {
  try {
    const h = JSON.parse(sessionStorage.getItem(HISTORY_KEY) ?? 'null') as History | null;
    if (!h || !Array.isArray(h.t)) return emptyHistory();
    const from = h.t.findIndex((x) => x >= Date.now() / 1000 - 300);
    if (from < 0) return emptyHistory();
    const cut = (a: number[]) => (Array.isArray(a) ? a.slice(from) : h.t.slice(from).map(() => 0));
    return { t: cut(h.t), cpu: cut(h.cpu), sysCpu: cut(h.sysCpu), mem: cut(h.mem), recv: cut(h.recv), send: cut(h.send), viewers: cut(h.viewers) };
  } catch {
    return emptyHistory();
  }
}

export function DashboardPage() {
  const { t } = useTranslation();
  const [streams, setStreams] = useState<SrsStream[]>([]);
  const [clients, setClients] = useState<SrsClient[]>([]);
  const [summary, setSummary] = useState<SrsSummaries['data'] | null>(null);
  const [version, setVersion] = useState('');
  const [error, setError] = useState('');
  const [hist, setHist] = useState<History>(loadHistory);
  const timer = useRef<number>(0);

  const refresh = useCallback(async () => {
    try {
      const [s, c, sum] = await Promise.all([api.streams(), api.clients(), api.summaries()]);
      // A stream whose publisher left (kept a few seconds for its viewers) is not live: leave it out.
      setStreams((s.streams ?? []).filter((x) => x.publish.active));
      setClients(c.clients ?? []);
      setSummary(sum.data);
      setError('');
      const viewers = (c.clients ?? []).filter((x) => !x.publish).length;
      setHist((h) => {
        const push = (a: number[], v: number) => [...a, v].slice(-WINDOW);
        const next = {
          t: push(h.t, Math.floor((sum.data.now_ms || Date.now()) / 1000)),
          cpu: push(h.cpu, sum.data.self.cpu_percent),
          sysCpu: push(h.sysCpu, sum.data.system.cpu_percent),
          mem: push(h.mem, Math.round(sum.data.self.mem_kbyte / 1024)),
          recv: push(h.recv, sum.data.kbps?.recv_30s ?? 0),
          send: push(h.send, sum.data.kbps?.send_30s ?? 0),
          viewers: push(h.viewers, viewers),
        };
        sessionStorage.setItem(HISTORY_KEY, JSON.stringify(next));
        return next;
      });
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    api.versions().then((v) => setVersion(v.version), () => undefined);
    void refresh();
    timer.current = window.setInterval(() => void refresh(), 2000);
    return () => window.clearInterval(timer.current);
  }, [refresh]);

  const kick = async (id: string) => {
    try { await api.kick(id); } catch (e) { setError((e as Error).message); }
    void refresh();
  };

  const viewersOf = (s: SrsStream) => {
    const by = new Map<string, number>();
    for (const c of clients) if (c.stream === s.id && !c.publish) by.set(protocolOf(c.type), (by.get(protocolOf(c.type)) ?? 0) + 1);
    return [...by.entries()].map(([p, n]) => `${p} ${n}`).join(', ') || '0';
  };
  const now = Date.now();

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>{t('dashboard.title')}</Title>
        <Group gap="xs">
          {version && <Badge variant="light" data-testid="version">{t('dashboard.version', { version })}</Badge>}
          {summary && <Badge variant="light" color="gray">{t('dashboard.uptime', { uptime: duration(summary.self.srs_uptime) })}</Badge>}
        </Group>
      </Group>
      {error && <Text c="red" role="alert">{error}</Text>}

      <Card withBorder>
        <Title order={5} mb="xs">{t('dashboard.streams')}</Title>
        {streams.length === 0 ? (
          <Text c="dimmed" size="sm" data-testid="no-streams">{t('dashboard.noStreams')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table striped data-testid="streams">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('dashboard.stream')}</Table.Th><Table.Th>{t('dashboard.video')}</Table.Th>
                  <Table.Th>{t('dashboard.audio')}</Table.Th><Table.Th>{t('dashboard.kbpsInOut')}</Table.Th>
                  <Table.Th>{t('dashboard.viewers')}</Table.Th><Table.Th title={t('dashboard.dropsHint')}>{t('dashboard.drops')}</Table.Th>
                  <Table.Th>{t('dashboard.live')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {streams.map((s) => (
                  <Table.Tr key={s.id} data-testid={`stream-${s.app}/${s.name}`}>
                    <Table.Td>{s.app}/{s.name}</Table.Td>
                    <Table.Td>{s.video ? `${s.video.codec} ${s.video.width ?? '?'}x${s.video.height ?? '?'}${s.video.fps ? ` ${s.video.fps}fps` : ''}` : '-'}</Table.Td>
                    <Table.Td>{s.audio ? `${s.audio.codec}${s.audio.sample_rate ? ` ${s.audio.sample_rate / 1000}kHz` : ''}` : '-'}</Table.Td>
                    <Table.Td>{s.kbps.recv_30s} / {s.kbps.send_30s}</Table.Td>
                    <Table.Td>{viewersOf(s)}</Table.Td>
                    <Table.Td data-testid="stream-drops">{s.drops ?? 0}</Table.Td>
                    <Table.Td>{duration((now - s.live_ms) / 1000)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>

      <Card withBorder>
        <Title order={5} mb="xs">{t('dashboard.clients')}</Title>
        {clients.length === 0 ? (
          <Text c="dimmed" size="sm">{t('dashboard.noClients')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table striped data-testid="clients">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('dashboard.type')}</Table.Th><Table.Th>{t('dashboard.stream')}</Table.Th>
                  <Table.Th>{t('dashboard.ip')}</Table.Th><Table.Th>{t('dashboard.kbpsInOut')}</Table.Th>
                  <Table.Th>{t('dashboard.alive')}</Table.Th><Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {clients.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>{c.type}</Table.Td><Table.Td>{c.url}</Table.Td><Table.Td>{c.ip}</Table.Td>
                    <Table.Td>{c.kbps.recv_30s} / {c.kbps.send_30s}</Table.Td><Table.Td>{duration(c.alive)}</Table.Td>
                    <Table.Td><Button size="xs" color="red" variant="light" onClick={() => void kick(c.id)} data-testid={`kick-${c.id}`}>{t('dashboard.kick')}</Button></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>

      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder><TimeChart testId="chart-cpu" title={t('dashboard.cpu')} times={hist.t} series={[
          { label: t('dashboard.cpuServer'), color: '#1c7ed6', values: hist.cpu },
          { label: t('dashboard.cpuSystem'), color: '#adb5bd', values: hist.sysCpu }]} /></Card>
        <Card withBorder><TimeChart testId="chart-mem" title={t('dashboard.memory')} times={hist.t} series={[
          { label: t('dashboard.memoryMb'), color: '#ae3ec9', values: hist.mem }]} /></Card>
        <Card withBorder><TimeChart testId="chart-net" title={t('dashboard.network')} times={hist.t} series={[
          { label: t('dashboard.recv'), color: '#2f9e44', values: hist.recv },
          { label: t('dashboard.send'), color: '#f08c00', values: hist.send }]} /></Card>
        <Card withBorder><TimeChart testId="chart-viewers" title={t('dashboard.viewerCount')} times={hist.t} series={[
          { label: t('dashboard.viewers'), color: '#e03131', values: hist.viewers }]} /></Card>
      </SimpleGrid>
    </Stack>
  );
}
