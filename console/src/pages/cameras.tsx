// IP cameras: the list with each camera's source (codecs and size from the probe), output, state (running with
// frames, kbps and uptime; retrying with the reason), enable/disable, logs, play, edit and remove; and a form
// to add or edit one: the camera URL, RTSP transport, audio (the camera's or a silent track) and the output
// (a stream of this server, or another platform). Saving probes the camera first (camera/source), so a wrong
// password or path is said at once. Refreshed every 2 s.
import { Alert, Badge, Button, Card, Code, Group, Modal, SegmentedControl, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { CameraConfig, CameraFile, CameraStream } from '../api/types';
import { VideoPlayer } from '../components/video-player';
import { duration } from '../format';

const STATE_COLORS: Record<string, string> = { running: 'green', starting: 'blue', retrying: 'orange', stopped: 'gray', failed: 'red' };

interface Form {
  platform: string;
  label: string;
  url: string;
  transport: 'tcp' | 'udp';
  extraAudio: '' | 'silent';
  output: 'stream' | 'target';
  stream: string;
  server: string;
  key: string;
  enabled: boolean;
}

const newPlatform = () => `camera-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;

/** A stream of ours is rtmp://<host>:<our port>/live/ + <name>?secret=<publish secret>. */
function localStreamOf(server: string, secret: string, rtmpPort: string): string | null {
  const m = /^rtmp:\/\/(localhost|127\.0\.0\.1)(?::(\d+))?\/live\/?$/.exec(server);
  if (!m || (m[2] ?? '1935') !== rtmpPort) return null;
  return secret.replace(/^\//, '').replace(/\?.*$/, '');
}

function describeSource(f: CameraFile | undefined, t: (k: string) => string): string {
  if (!f) return '';
  const v = f.video ? `${f.video.codec_name.toUpperCase()} ${f.video.width ?? ''}x${f.video.height ?? ''}` : t('cameras.noVideo');
  const a = f.audio ? `${f.audio.codec_name.toUpperCase()} ${f.audio.sample_rate ?? ''} Hz ${f.audio.channels ?? ''} ch` : t('cameras.noAudio');
  const kbps = f.format?.bit_rate ? ` · ${Math.round(Number(f.format.bit_rate) / 1000)} kbps` : '';
  return `${v} · ${a}${kbps}`;
}

export function CamerasPage() {
  const { t, i18n } = useTranslation();
  const [list, setList] = useState<CameraStream[]>([]);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [busy, setBusy] = useState(false);
  const [logs, setLogs] = useState<CameraStream | null>(null);
  const [playing, setPlaying] = useState<string | null>(null);
  const [rtmpPort, setRtmpPort] = useState('1935');
  const [pubSecret, setPubSecret] = useState('');

  const load = useCallback(() => {
    api.cameraStreams().then((l) => setList(Array.isArray(l) ? l : []), () => undefined);
  }, []);
  useEffect(() => {
    load();
    api.envs().then((e) => setRtmpPort(e.rtmpPort || '1935'), () => undefined);
    api.publishSecret().then((s) => setPubSecret(s.publish), () => undefined);
    const id = window.setInterval(load, 2000);
    return () => window.clearInterval(id);
  }, [load]);

  const blank = (): Form => ({
    platform: newPlatform(), label: '', url: '', transport: 'tcp', extraAudio: '', output: 'stream',
    stream: `camera${Math.random().toString(36).slice(2, 6)}`, server: '', key: '', enabled: true,
  });
  const editOf = (c: CameraStream): Form => {
    const full = c.output ?? '';
    const server = full.slice(0, full.lastIndexOf('/') + 1);
    const secret = full.slice(full.lastIndexOf('/') + 1);
    const local = localStreamOf(server, secret, rtmpPort);
    return {
      platform: c.platform, label: c.label, url: c.files[0]?.target ?? '', transport: c.transport === 'udp' ? 'udp' : 'tcp',
      extraAudio: c.extraAudio === 'silent' ? 'silent' : '', output: local ? 'stream' : 'target', stream: local ?? '',
      server: local ? '' : server, key: local ? '' : secret, enabled: c.enabled,
    };
  };

  const config = (f: Form, files: CameraFile[]): CameraConfig => ({
    platform: f.platform, label: f.label, enabled: f.enabled, custom: true, extraAudio: f.extraAudio, transport: f.transport, files,
    server: f.output === 'stream' ? `rtmp://localhost:${rtmpPort}/live/` : f.server,
    secret: f.output === 'stream' ? `${f.stream}${pubSecret ? `?secret=${pubSecret}` : ''}` : f.key,
  });

  const save = async () => {
    if (!form) return;
    setBusy(true);
    setMsg(null);
    try {
      const cur = list.find((c) => c.platform === form.platform);
      let files = cur?.files ?? [];
      if (!cur || cur.files[0]?.target !== form.url) {
        const u = await api.cameraStreamUrl(form.url);
        // The transport and audio first, so that the probe reads the camera the way the task will.
        files = (await api.cameraSource(form.platform, [{ name: u.name, size: 0, uuid: u.uuid, target: u.target, type: 'stream' }])).files;
      }
      await api.cameraUpdate(config(form, files));
      setMsg({ ok: true, text: t('common.saved') });
      setForm(null);
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  const setEnabled = (c: CameraStream, enabled: boolean) => {
    const f = editOf(c);
    return act(() => api.cameraUpdate(config({ ...f, enabled }, c.files)));
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>{t('cameras.title')}</Title>
        <Button size="xs" onClick={() => setForm(blank())} data-testid="camera-add">{t('cameras.add')}</Button>
      </Group>
      <Text size="sm" c="dimmed">{t('cameras.intro')}</Text>
      {msg && <Alert color={msg.ok ? 'green' : 'red'} withCloseButton onClose={() => setMsg(null)} data-testid="camera-msg">{msg.text}</Alert>}
      <Card withBorder>
        {list.length === 0 ? <Text size="sm" c="dimmed" data-testid="no-cameras">{t('cameras.none')}</Text> : (
          <Table.ScrollContainer minWidth={760}>
            <Table striped data-testid="cameras">
              <Table.Thead><Table.Tr>
                <Table.Th>{t('cameras.label')}</Table.Th><Table.Th>{t('cameras.probe')}</Table.Th><Table.Th>{t('cameras.output')}</Table.Th>
                <Table.Th>{t('cameras.state')}</Table.Th><Table.Th>{t('cameras.enabled')}</Table.Th><Table.Th />
              </Table.Tr></Table.Thead>
              <Table.Tbody>
                {list.map((c) => {
                  const st = c.task?.state ?? 'stopped';
                  const local = localStreamOf((c.output ?? '').slice(0, (c.output ?? '').lastIndexOf('/') + 1), (c.output ?? '').slice((c.output ?? '').lastIndexOf('/') + 1), rtmpPort);
                  return (
                    <Table.Tr key={c.platform} data-testid={`camera-${c.platform}`}>
                      <Table.Td>
                        <Text size="sm" fw={500}>{c.label || c.platform}</Text>
                        <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>{c.input}</Text>
                      </Table.Td>
                      <Table.Td><Text size="xs" data-testid="camera-probe">{describeSource(c.files[0], t)}</Text>
                        <Text size="xs" c="dimmed">{c.transport === 'udp' ? 'RTSP/UDP' : 'RTSP/TCP'}{c.extraAudio === 'silent' ? ` · ${t('cameras.audioSilent')}` : ''}</Text></Table.Td>
                      <Table.Td><Text size="xs" style={{ wordBreak: 'break-all' }}>{local ? `live/${local}` : (c.output ?? '').replace(/\?.*$/, '')}</Text></Table.Td>
                      <Table.Td miw={160}>
                        <Badge color={STATE_COLORS[st] ?? 'gray'} data-testid="camera-state">{i18n.exists(`cameras.states.${st}`) ? t(`cameras.states.${st}`) : st}</Badge>
                        {st === 'running' && c.task && <Text size="xs">{t('cameras.stats', { frames: c.task.frames, kbps: c.task.kbps, uptime: duration(c.task.uptime) })}</Text>}
                        {(st === 'retrying' || st === 'failed') && c.task?.reason && (
                          <Text size="xs" c="red" data-testid="camera-reason">
                            {st === 'retrying' ? t('cameras.retrying', { s: Math.ceil((c.task.retryInMs ?? 0) / 1000), reason: c.task.reason }) : c.task.reason}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td><Switch checked={c.enabled} onChange={(e) => void setEnabled(c, e.currentTarget.checked)} data-testid="camera-enabled" /></Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          {local && st === 'running' && <Button size="xs" variant="light" onClick={() => setPlaying(local)} data-testid="camera-play">{t('cameras.play')}</Button>}
                          <Button size="xs" variant="light" onClick={() => setLogs(c)} data-testid="camera-logs">{t('cameras.logs')}</Button>
                          <Button size="xs" variant="light" onClick={() => setForm(editOf(c))} data-testid="camera-edit">{t('cameras.edit')}</Button>
                          <Button size="xs" variant="light" color="red" data-testid="camera-remove"
                            onClick={() => { if (window.confirm(t('cameras.confirmRemove'))) void act(() => api.cameraRemove(c.platform)); }}>{t('cameras.remove')}</Button>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>

      <Modal opened={!!form} onClose={() => setForm(null)} title={t('cameras.add')} size="lg">
        {form && (
          <Stack>
            <TextInput label={t('cameras.label')} value={form.label} onChange={(e) => setForm({ ...form, label: e.currentTarget.value })} data-testid="camera-label" />
            <TextInput label={t('cameras.url')} description={t('cameras.urlHint')} value={form.url} required
              onChange={(e) => setForm({ ...form, url: e.currentTarget.value })} data-testid="camera-url" />
            <Text size="sm" fw={500}>{t('cameras.transport')}</Text>
            <SegmentedControl value={form.transport} onChange={(v) => setForm({ ...form, transport: v === 'udp' ? 'udp' : 'tcp' })} data-testid="camera-transport"
              data={[{ value: 'tcp', label: t('cameras.tcp') }, { value: 'udp', label: t('cameras.udp') }]} />
            <Text size="sm" fw={500}>{t('cameras.audio')}</Text>
            <SegmentedControl value={form.extraAudio} onChange={(v) => setForm({ ...form, extraAudio: v === 'silent' ? 'silent' : '' })} data-testid="camera-audio"
              data={[{ value: '', label: t('cameras.audioCopy') }, { value: 'silent', label: t('cameras.audioSilent') }]} />
            <Text size="sm" fw={500}>{t('cameras.output')}</Text>
            <SegmentedControl value={form.output} onChange={(v) => setForm({ ...form, output: v === 'target' ? 'target' : 'stream' })} data-testid="camera-output"
              data={[{ value: 'stream', label: t('cameras.toStream') }, { value: 'target', label: t('cameras.toTarget') }]} />
            {form.output === 'stream' ? (
              <TextInput label={t('cameras.stream')} leftSection={<Code>live/</Code>} leftSectionWidth={48} value={form.stream}
                onChange={(e) => setForm({ ...form, stream: e.currentTarget.value })} data-testid="camera-stream" />
            ) : (
              <>
                <TextInput label={t('cameras.server')} placeholder="rtmp://live.example.com/app/" value={form.server} onChange={(e) => setForm({ ...form, server: e.currentTarget.value })} data-testid="camera-server" />
                <TextInput label={t('cameras.key')} value={form.key} onChange={(e) => setForm({ ...form, key: e.currentTarget.value })} data-testid="camera-key" />
              </>
            )}
            <Switch label={t('cameras.enabled')} checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.currentTarget.checked })} />
            <Group>
              <Button onClick={() => void save()} loading={busy} disabled={!form.url} data-testid="camera-save">{busy ? t('cameras.probing') : t('cameras.save')}</Button>
            </Group>
            {msg && !msg.ok && <Alert color="red" data-testid="camera-form-error">{msg.text}</Alert>}
          </Stack>
        )}
      </Modal>

      <Modal opened={!!logs} onClose={() => setLogs(null)} title={`${t('cameras.logs')}: ${logs?.label || logs?.platform || ''}`} size="xl">
        <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="camera-log">{(list.find((c) => c.platform === logs?.platform)?.task?.log ?? []).join('\n')}</Code>
      </Modal>
      <Modal opened={!!playing} onClose={() => setPlaying(null)} title={playing ? `live/${playing}` : ''} size="lg">
        {playing && <VideoPlayer type="flv" url={`/live/${playing}.flv`} />}
      </Modal>
    </Stack>
  );
}
