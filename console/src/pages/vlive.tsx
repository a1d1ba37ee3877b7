// Virtual live: 24x7 from a file (uploaded with progress, or on the server) or a stream URL, to a stream of
// ours or a platform. Each task shows its source with what ffprobe found (as SRS Stack shows it), the output,
// the state (running with frames/kbps/uptime, retrying with the reason), enable/disable, edit, remove and
// its last log lines; refreshed every 3 s.
import { Alert, Badge, Button, Card, Code, Collapse, Group, Modal, Progress, SegmentedControl, Stack, Switch, Table, Text, TextInput, Title, FileInput } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, vliveUpload } from '../api/client';
import type { VliveConfig, VliveSource, VliveStream } from '../api/types';
import { bytes, duration } from '../format';

const STATE_COLORS: Record<string, string> = { starting: 'blue', running: 'green', retrying: 'orange', stopped: 'gray', failed: 'red' };

type SourceKind = 'upload' | 'file' | 'stream';
type OutputKind = 'ours' | 'platform';

/** The probe line of a source, like SRS Stack: format, video codec/profile/size, audio codec/rate/channels. */
export function ProbeInfo({ s }: { s: VliveSource }) {
  const { t } = useTranslation();
  const f = s.format;
  const v = s.video;
  const a = s.audio;
  return (
    <Stack gap={0} data-testid="probe">
      <Text size="sm" fw={500}>{s.name || s.path} <Text span size="xs" c="dimmed">({t(`vlive.types.${s.type}`)}{s.size ? `, ${bytes(s.size)}` : ''})</Text></Text>
      {f && <Text size="xs" c="dimmed">{t('vlive.format')}: {f.format_name || '-'}, {f.duration ? duration(Number(f.duration)) : t('vlive.live')}, {f.bit_rate ? `${Math.round(Number(f.bit_rate) / 1000)} kbps` : '-'}</Text>}
      {v && <Text size="xs" data-testid="probe-video">{t('vlive.video')}: {v.codec_name} {v.profile} {v.width}x{v.height} {v.pix_fmt}</Text>}
      {a && <Text size="xs" data-testid="probe-audio">{t('vlive.audio')}: {a.codec_name} {a.profile} {a.sample_rate} Hz {a.channels}ch</Text>}
    </Stack>
  );
}

function newPlatform(): string {
  return `vlive-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;
}

interface EditorProps {
  initial: VliveConfig | null;
  rtmpPort: string;
  publishSecret: string;
  onDone: (saved: boolean) => void;
}

function Editor({ initial, rtmpPort, publishSecret, onDone }: EditorProps) {
  const { t } = useTranslation();
  const [platform] = useState(initial?.platform ?? newPlatform());
  const [label, setLabel] = useState(initial?.label ?? '');
  const [kind, setKind] = useState<SourceKind>((initial?.files[0]?.type as SourceKind) ?? 'upload');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [path, setPath] = useState(initial?.files[0]?.type === 'file' ? initial.files[0].path || initial.files[0].target : '');
  const [url, setUrl] = useState(initial?.files[0]?.type === 'stream' ? initial.files[0].target : '');
  const [source, setSource] = useState<VliveSource | null>(initial?.files[0] ?? null);
  const oursServer = `rtmp://localhost:${rtmpPort || '1935'}/live`;
  const isOurs = !initial || initial.server.replace(/\/$/, '') === oursServer || /^rtmp:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/live\/?$/.test(initial.server);
  const [out, setOut] = useState<OutputKind>(isOurs ? 'ours' : 'platform');
  const [stream, setStream] = useState(isOurs && initial ? initial.secret.split('?')[0] ?? '' : `vlive${Math.random().toString(36).slice(2, 6)}`);
  const [server, setServer] = useState(!isOurs && initial ? initial.server : '');
  const [key, setKey] = useState(!isOurs && initial ? initial.secret : '');
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);

  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setErr(null);
    try { await f(); } catch (e) { setErr((e as Error).message); } finally { setBusy(false); }
  };
  const getSource = () => run(async () => {
    let s: VliveSource;
    if (kind === 'upload') {
      if (!file) throw new Error(t('vlive.pickFile'));
      setProgress(0);
      try { s = await vliveUpload(file, setProgress); } finally { setProgress(null); }
    } else if (kind === 'file') s = await api.vliveServer(path.trim());
    else s = await api.vliveStreamUrl(url.trim());
    const bound = await api.vliveSource(platform, [s]);
    setSource(bound.files[0] ?? null);
  });
  const save = () => run(async () => {
    if (!source) throw new Error(t('vlive.noSource'));
    const o = out === 'ours' ? { server: oursServer, secret: `${stream.trim()}?secret=${publishSecret}` } : { server: server.trim(), secret: key.trim() };
    if (!o.server || (out === 'ours' && !stream.trim())) throw new Error(t('vlive.noOutput'));
    await api.vliveUpdate({ platform, label, enabled, custom: true, files: [source], ...o });
    onDone(true);
  });

  return (
    <Stack>
      {err && <Alert color="red" data-testid="vlive-error">{err}</Alert>}
      <TextInput label={t('vlive.label')} value={label} onChange={(e) => setLabel(e.currentTarget.value)} data-testid="vlive-label" />
      <Text fw={500} size="sm">{t('vlive.source')}</Text>
      <SegmentedControl value={kind} onChange={(v) => setKind(v as SourceKind)} data-testid="vlive-kind"
        data={[{ value: 'upload', label: t('vlive.types.upload') }, { value: 'file', label: t('vlive.types.file') }, { value: 'stream', label: t('vlive.types.stream') }]} />
      {kind === 'upload' && <FileInput label={t('vlive.file')} description={t('vlive.fileHint')} value={file} onChange={setFile} accept=".mp4,.flv,.ts,.mkv,.mov,.mp3,.aac,.m4a" data-testid="vlive-file" clearable />}
      {kind === 'file' && <TextInput label={t('vlive.serverFile')} description={t('vlive.serverFileHint')} placeholder="/data/videos/movie.mp4" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="vlive-path" />}
      {kind === 'stream' && <TextInput label={t('vlive.streamUrl')} description={t('vlive.streamUrlHint')} placeholder="rtmp://host/live/stream" value={url} onChange={(e) => setUrl(e.currentTarget.value)} data-testid="vlive-url" />}
      {progress !== null && <Progress value={progress * 100} size="lg" animated data-testid="vlive-progress" />}
      <Group><Button size="xs" variant="light" loading={busy} onClick={() => void getSource()} data-testid="vlive-use">{t('vlive.useSource')}</Button></Group>
      {source && <Card withBorder p="xs"><ProbeInfo s={source} /></Card>}
      <Text fw={500} size="sm">{t('vlive.output')}</Text>
      <SegmentedControl value={out} onChange={(v) => setOut(v as OutputKind)} data-testid="vlive-out"
        data={[{ value: 'ours', label: t('vlive.ours') }, { value: 'platform', label: t('vlive.platform') }]} />
      {out === 'ours'
        ? <TextInput label={t('vlive.streamName')} description={t('vlive.oursHint', { url: `${oursServer}/${stream}` })} value={stream} onChange={(e) => setStream(e.currentTarget.value)} data-testid="vlive-stream" />
        : (
          <>
            <TextInput label={t('vlive.server')} placeholder="rtmp://live.example.com/app" value={server} onChange={(e) => setServer(e.currentTarget.value)} data-testid="vlive-server" />
            <TextInput label={t('vlive.key')} value={key} onChange={(e) => setKey(e.currentTarget.value)} data-testid="vlive-key" />
          </>
        )}
      <Switch label={t('vlive.enabled')} checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} data-testid="vlive-enabled" />
      <Group>
        <Button onClick={() => void save()} loading={busy} disabled={!source} data-testid="vlive-save">{t('common.save')}</Button>
        <Button variant="subtle" onClick={() => onDone(false)}>{t('vlive.cancel')}</Button>
      </Group>
    </Stack>
  );
}

export function VlivePage() {
  const { t, i18n } = useTranslation();
  const [list, setList] = useState<VliveStream[]>([]);
  const [configs, setConfigs] = useState<Record<string, VliveConfig>>({});
  const [editing, setEditing] = useState<VliveConfig | null | 'new'>(null);
  const [logs, setLogs] = useState<Record<string, boolean>>({});
  const [rtmpPort, setRtmpPort] = useState('');
  const [publishSecret, setPublishSecret] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);

  const load = useCallback(() => {
    api.vliveStreams().then((s) => setList(Array.isArray(s) ? s : []), () => undefined);
    api.vliveConfigs().then((c) => setConfigs(c ?? {}), () => undefined);
  }, []);
  useEffect(() => {
    load();
    api.envs().then((e) => setRtmpPort(e.rtmpPort), () => undefined);
    api.publishSecret().then((s) => setPublishSecret(s.publish), () => undefined);
    const id = window.setInterval(load, 3000);
    return () => window.clearInterval(id);
  }, [load]);

  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      setMsg({ ok: true, text: t('common.saved') });
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  const toggle = (s: VliveStream) => {
    const c = configs[s.platform];
    if (c) void act(() => api.vliveUpdate({ ...c, enabled: !c.enabled }));
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>{t('vlive.title')}</Title>
        <Button size="xs" onClick={() => setEditing('new')} data-testid="vlive-add">{t('vlive.add')}</Button>
      </Group>
      <Text size="sm" c="dimmed">{t('vlive.intro')}</Text>
      {msg && <Alert color={msg.ok ? 'green' : 'red'} withCloseButton onClose={() => setMsg(null)} data-testid="vlive-msg">{msg.text}</Alert>}
      {list.length === 0 ? <Text size="sm" c="dimmed" data-testid="vlive-none">{t('vlive.none')}</Text> : list.map((s) => {
        const st = s.task?.state ?? 'stopped';
        return (
          <Card withBorder key={s.platform} data-testid={`vlive-${s.platform}`}>
            <Stack gap="xs">
              <Group justify="space-between">
                <Group gap="xs">
                  <Text fw={600}>{s.label || s.platform}</Text>
                  <Badge color={STATE_COLORS[st] ?? 'gray'} data-testid="vlive-state">{i18n.exists(`vlive.states.${st}`) ? t(`vlive.states.${st}`) : st}</Badge>
                  {s.mode && <Badge variant="light" data-testid="vlive-mode">{t(`vlive.modes.${s.mode}`, { defaultValue: s.mode })}</Badge>}
                </Group>
                <Group gap={4} wrap="nowrap">
                  <Switch size="sm" checked={s.enabled} onChange={() => toggle(s)} label={t('vlive.enabled')} data-testid="vlive-toggle" />
                  <Button size="xs" variant="light" onClick={() => setEditing(configs[s.platform] ?? null)} data-testid="vlive-edit">{t('vlive.edit')}</Button>
                  <Button size="xs" variant="light" color="red" data-testid="vlive-remove"
                    onClick={() => { if (window.confirm(t('vlive.confirmRemove'))) void act(() => api.vliveRemove(s.platform)); }}>{t('vlive.remove')}</Button>
                </Group>
              </Group>
              {s.task?.reason && st !== 'running' && (st !== 'stopped' || s.enabled) && <Text size="sm" c={st === 'stopped' ? 'dimmed' : 'red'} data-testid="vlive-reason">{st === 'retrying' ? t('vlive.retrying', { s: Math.ceil((s.task.retryInMs ?? 0) / 1000), reason: s.task.reason }) : s.task.reason}</Text>}
              <Table withRowBorders={false} verticalSpacing={2}>
                <Table.Tbody>
                  <Table.Tr><Table.Td w={110}><Text size="sm" c="dimmed">{t('vlive.source')}</Text></Table.Td><Table.Td>{s.files[0] ? <ProbeInfo s={s.files[0]} /> : '-'}</Table.Td></Table.Tr>
                  <Table.Tr><Table.Td><Text size="sm" c="dimmed">{t('vlive.output')}</Text></Table.Td><Table.Td><Code data-testid="vlive-output">{s.output}</Code></Table.Td></Table.Tr>
                  {st === 'running' && s.task && (
                    <Table.Tr><Table.Td><Text size="sm" c="dimmed">{t('vlive.stats')}</Text></Table.Td>
                      <Table.Td><Text size="sm" data-testid="vlive-stats">{t('vlive.statsLine', { frames: s.task.frames, kbps: s.task.kbps, uptime: duration(s.task.uptime) })}</Text></Table.Td></Table.Tr>
                  )}
                </Table.Tbody>
              </Table>
              <Group><Button size="compact-xs" variant="subtle" onClick={() => setLogs({ ...logs, [s.platform]: !logs[s.platform] })} data-testid="vlive-logs">{t('vlive.logs')}</Button></Group>
              <Collapse expanded={!!logs[s.platform]}>
                <Code block data-testid="vlive-log">{(s.task?.log ?? []).slice(-15).join('\n') || '-'}</Code>
              </Collapse>
            </Stack>
          </Card>
        );
      })}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('vlive.add') : t('vlive.edit')} size="lg">
        {editing !== null && (
          <Editor initial={editing === 'new' ? null : editing} rtmpPort={rtmpPort} publishSecret={publishSecret}
            onDone={(saved) => { setEditing(null); if (saved) { setMsg({ ok: true, text: t('common.saved') }); load(); } }} />
        )}
      </Modal>
    </Stack>
  );
}
