// Transcode: SRS Stack's global task (the newest stream to one output URL) and our per-stream transcodes with
// several renditions; each shows its state (with the reason while retrying or failed), FFmpeg's progress (fps,
// speed, bitrate, frames), each rendition's figures, the last log lines and the ABR playlist. Refreshed every 2 s.
import { Alert, Anchor, Badge, Button, Card, Code, Group, Modal, NumberInput, ScrollArea, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { GlobalTranscode, GlobalTranscodeTask, JobStatus, StreamTranscode, TranscodeLive, TranscodeProfile } from '../api/types';
import { CopyField } from '../components/copy-field';

const STATE_COLORS: Record<string, string> = { starting: 'blue', running: 'green', retrying: 'yellow', stopped: 'gray', failed: 'red' };

const NEW_PROFILE: TranscodeProfile = {
  name: '', vcodec: 'libx264', vprofile: 'main', vpreset: 'veryfast', vbitrate: 1200, fps: 25, size: '720', acodec: 'aac', abitrate: 64, achannels: 0, target: '',
};

function StateBadge({ status, live }: { status: JobStatus | null; live: TranscodeLive }) {
  const { t, i18n } = useTranslation();
  if (!status) return <Badge color="gray" data-testid="tc-state">{t('transcode.states.stopped')}</Badge>;
  const label = i18n.exists(`transcode.states.${status.state}`) ? t(`transcode.states.${status.state}`) : status.state;
  return (
    <Stack gap={2}>
      <Group gap={4}>
        <Badge color={STATE_COLORS[status.state] ?? 'gray'} data-testid="tc-state">{label}</Badge>
        {status.state === 'retrying' && <Text size="xs">{t('transcode.retryIn', { s: Math.ceil(status.retryInMs / 1000) })}</Text>}
      </Group>
      {live.waiting && <Text size="xs" c="dimmed">{live.waiting}</Text>}
      {status.reason && <Text size="xs" c={status.state === 'failed' ? 'red' : 'orange'} data-testid="tc-reason" maw={420}>{status.reason}</Text>}
    </Stack>
  );
}

function Progress({ live }: { live: TranscodeLive }) {
  const { t } = useTranslation();
  const p = live.progress;
  if (!live.input || !p) return <Text size="xs" c="dimmed">-</Text>;
  return (
    <Stack gap={0} data-testid="tc-progress">
      <Text size="xs">frame={p.frame} fps={p.fps ?? 'N/A'} speed={p.speed === null ? 'N/A' : `${p.speed.toFixed(2)}x`}</Text>
      <Text size="xs">bitrate={p.bitrateKbps === null ? 'N/A' : `${p.bitrateKbps.toFixed(0)} kbps`}</Text>
      {live.pid && <Text size="xs" c="dimmed">{t('transcode.pid', { pid: live.pid })}</Text>}
      {live.drops > 0 && <Text size="xs" c="orange">{t('transcode.drops', { n: live.drops })}</Text>}
    </Stack>
  );
}

function LogView({ lines }: { lines: string[] }) {
  const { t } = useTranslation();
  return (
    <ScrollArea.Autosize mah={160} type="auto">
      <Code block data-testid="tc-log" style={{ fontSize: 11 }}>{lines.length ? lines.slice(-15).join('\n') : t('transcode.noLog')}</Code>
    </ScrollArea.Autosize>
  );
}

function GlobalCard({ onMsg }: { onMsg: (ok: boolean, text: string) => void }) {
  const { t } = useTranslation();
  const [cfg, setCfg] = useState<GlobalTranscode | null>(null);
  const [task, setTask] = useState<GlobalTranscodeTask | null>(null);
  useEffect(() => {
    Promise.all([api.transcode(), api.publishSecret().catch(() => ({ publish: '', pubNoAuth: true }))]).then(([c, ps]) => setCfg({
      ...c,
      vcodec: c.vcodec || 'libx264', vprofile: c.vprofile || 'baseline', vpreset: c.vpreset || 'faster', vbitrate: c.vbitrate || 1200,
      acodec: c.acodec || 'aac', abitrate: c.abitrate || 64,
      // SRS Stack's console defaults: our RTMP server, livestream-trans with the publish secret
      server: c.server || `rtmp://${location.hostname}/live/`, secret: c.secret || `livestream-trans${ps.publish && !ps.pubNoAuth ? `?secret=${ps.publish}` : ''}`,
    }), (e: Error) => onMsg(false, e.message));
    const load = () => api.transcodeTask().then(setTask, () => undefined);
    load();
    const id = window.setInterval(load, 2000);
    return () => window.clearInterval(id);
  }, [onMsg]);
  if (!cfg) return null;
  const set = (k: keyof GlobalTranscode, v: string | number | boolean) => setCfg({ ...cfg, [k]: v });
  const save = async (next: GlobalTranscode) => {
    try {
      await api.applyTranscode(next);
      setCfg(next);
      onMsg(true, t('common.saved'));
    } catch (e) {
      onMsg(false, (e as Error).message);
    }
  };
  return (
    <Card withBorder data-testid="tc-global">
      <Stack>
        <Title order={5}>{t('transcode.global')}</Title>
        <Text size="xs" c="dimmed">{t('transcode.globalHint')}</Text>
        <Switch label={t('transcode.enabled')} checked={cfg.all} data-testid="tc-global-on" onChange={(e) => void save({ ...cfg, all: e.currentTarget.checked })} />
        <SimpleGrid cols={{ base: 1, xs: 2, sm: 4 }}>
          <TextInput label={t('transcode.vcodec')} value={cfg.vcodec} onChange={(e) => set('vcodec', e.currentTarget.value)} data-testid="tc-g-vcodec" />
          <TextInput label={t('transcode.vprofile')} value={cfg.vprofile} onChange={(e) => set('vprofile', e.currentTarget.value)} />
          <TextInput label={t('transcode.vpreset')} value={cfg.vpreset} onChange={(e) => set('vpreset', e.currentTarget.value)} />
          <NumberInput label={t('transcode.vbitrate')} value={cfg.vbitrate} min={100} max={100000} onChange={(v) => set('vbitrate', Number(v) || 0)} />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, xs: 2, sm: 4 }}>
          <TextInput label={t('transcode.acodec')} value={cfg.acodec} onChange={(e) => set('acodec', e.currentTarget.value)} />
          <NumberInput label={t('transcode.abitrate')} value={cfg.abitrate} min={8} max={1000} onChange={(v) => set('abitrate', Number(v) || 0)} />
          <NumberInput label={t('transcode.achannels')} description={t('transcode.achannelsHint')} value={cfg.achannels} min={0} max={8} onChange={(v) => set('achannels', Number(v) || 0)} />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, xs: 2, sm: 4 }}>
          <TextInput label={t('transcode.server')} value={cfg.server} onChange={(e) => set('server', e.currentTarget.value)} data-testid="tc-g-server" />
          <TextInput label={t('transcode.secret')} value={cfg.secret} onChange={(e) => set('secret', e.currentTarget.value)} data-testid="tc-g-secret" />
        </SimpleGrid>
        <Group><Button size="xs" onClick={() => void save(cfg)} data-testid="tc-global-save">{t('common.save')}</Button></Group>
        {task && (
          <Table withRowBorders={false} data-testid="tc-global-task">
            <Table.Tbody>
              <Table.Tr><Table.Td w={120}>{t('transcode.state')}</Table.Td><Table.Td><StateBadge status={task.status} live={task.live} /></Table.Td></Table.Tr>
              <Table.Tr><Table.Td>{t('transcode.input')}</Table.Td><Table.Td data-testid="tc-global-input">{task.input || '-'}</Table.Td></Table.Tr>
              <Table.Tr><Table.Td>{t('transcode.output')}</Table.Td><Table.Td style={{ wordBreak: 'break-all' }}>{task.output || '-'}</Table.Td></Table.Tr>
              <Table.Tr><Table.Td>{t('transcode.progress')}</Table.Td><Table.Td><Progress live={task.live} /></Table.Td></Table.Tr>
              <Table.Tr><Table.Td>{t('transcode.log')}</Table.Td><Table.Td><LogView lines={task.status?.log ?? []} /></Table.Td></Table.Tr>
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Card>
  );
}

interface Draft { id?: string; stream: string; enabled: boolean; label: string; profiles: TranscodeProfile[] }

function ProfileEditor({ p, onChange, onRemove, i }: { p: TranscodeProfile; onChange: (p: TranscodeProfile) => void; onRemove: () => void; i: number }) {
  const { t } = useTranslation();
  const set = (k: keyof TranscodeProfile, v: string | number) => onChange({ ...p, [k]: v });
  return (
    <Card withBorder p="xs" data-testid={`tc-profile-${i}`}>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        <TextInput size="xs" label={t('transcode.name')} value={p.name} placeholder="720p" onChange={(e) => set('name', e.currentTarget.value)} data-testid="tc-p-name" />
        <TextInput size="xs" label={t('transcode.size')} description={t('transcode.sizeHint')} value={p.size} onChange={(e) => set('size', e.currentTarget.value)} data-testid="tc-p-size" />
        <NumberInput size="xs" label={t('transcode.vbitrate')} value={p.vbitrate} min={50} max={100000} onChange={(v) => set('vbitrate', Number(v) || 0)} data-testid="tc-p-vbitrate" />
        <NumberInput size="xs" label={t('transcode.fps')} value={p.fps} min={1} max={120} onChange={(v) => set('fps', Number(v) || 0)} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        <TextInput size="xs" label={t('transcode.vcodec')} value={p.vcodec} onChange={(e) => set('vcodec', e.currentTarget.value)} data-testid="tc-p-vcodec" />
        <TextInput size="xs" label={t('transcode.vprofile')} value={p.vprofile} onChange={(e) => set('vprofile', e.currentTarget.value)} />
        <TextInput size="xs" label={t('transcode.vpreset')} value={p.vpreset} onChange={(e) => set('vpreset', e.currentTarget.value)} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        <TextInput size="xs" label={t('transcode.acodec')} value={p.acodec} onChange={(e) => set('acodec', e.currentTarget.value)} />
        <NumberInput size="xs" label={t('transcode.abitrate')} value={p.abitrate} min={8} max={1000} onChange={(v) => set('abitrate', Number(v) || 0)} />
        <NumberInput size="xs" label={t('transcode.achannels')} value={p.achannels} min={0} max={8} onChange={(v) => set('achannels', Number(v) || 0)} data-testid="tc-p-achannels" />
      </SimpleGrid>
      <Group align="flex-end" gap="xs">
        <TextInput size="xs" style={{ flex: 1 }} label={t('transcode.target')} description={t('transcode.targetHint')} value={p.target} onChange={(e) => set('target', e.currentTarget.value)} />
        <Button size="xs" variant="subtle" color="red" onClick={onRemove}>{t('transcode.remove')}</Button>
      </Group>
    </Card>
  );
}

export function TranscodePage() {
  const { t } = useTranslation();
  const [list, setList] = useState<StreamTranscode[]>([]);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [logOf, setLogOf] = useState<StreamTranscode | null>(null);
  const onMsg = useCallback((ok: boolean, text: string) => setMsg({ ok, text }), []);
  const load = useCallback(() => {
    api.transcodes().then((l) => setList(Array.isArray(l) ? l : []), () => undefined);
  }, []);
  useEffect(() => {
    load();
    const id = window.setInterval(load, 2000);
    return () => window.clearInterval(id);
  }, [load]);

  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      setMsg({ ok: true, text: t('common.saved') });
      load();
      return true;
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
      return false;
    }
  };
  const save = async () => {
    if (!draft) return;
    if (await act(() => api.saveTranscode(draft))) setDraft(null);
  };
  const toggle = (x: StreamTranscode) => act(() => api.saveTranscode({ id: x.id, stream: x.stream, enabled: !x.enabled, label: x.label, profiles: x.profiles }));

  return (
    <Stack>
      <Title order={3}>{t('transcode.title')}</Title>
      {msg && <Alert color={msg.ok ? 'green' : 'red'} withCloseButton onClose={() => setMsg(null)} data-testid="tc-msg">{msg.text}</Alert>}
      <Card withBorder>
        <Stack>
          <Group justify="space-between">
            <Title order={5}>{t('transcode.perStream')}</Title>
            <Button size="xs" data-testid="tc-add" onClick={() => setDraft({ stream: 'live/livestream', enabled: true, label: '', profiles: [{ ...NEW_PROFILE, name: '720p' }, { ...NEW_PROFILE, name: '360p', size: '360', vbitrate: 500 }] })}>
              {t('transcode.add')}
            </Button>
          </Group>
          <Text size="xs" c="dimmed">{t('transcode.perStreamHint')}</Text>
          {list.length === 0 ? <Text size="sm" c="dimmed" data-testid="tc-none">{t('transcode.none')}</Text> : (
            <Table.ScrollContainer minWidth={760}>
              <Table striped data-testid="tc-list">
                <Table.Thead><Table.Tr>
                  <Table.Th>{t('transcode.input')}</Table.Th><Table.Th>{t('transcode.renditions')}</Table.Th>
                  <Table.Th>{t('transcode.state')}</Table.Th><Table.Th>{t('transcode.progress')}</Table.Th><Table.Th />
                </Table.Tr></Table.Thead>
                <Table.Tbody>
                  {list.map((x) => (
                    <Table.Tr key={x.id} data-testid={`tc-row-${x.stream}`} data-id={x.id}>
                      <Table.Td>
                        <Text size="sm">{x.stream}</Text>
                        {x.label && <Text size="xs" c="dimmed">{x.label}</Text>}
                      </Table.Td>
                      <Table.Td>
                        <Stack gap={2}>
                          {x.profiles.map((p, i) => {
                            const r = x.live.renditions[i];
                            return (
                              <Text size="xs" key={p.name} data-testid="tc-rendition">
                                <b>{p.name}</b> {p.vcodec} {p.size || '-'} {p.vbitrate}k/{p.abitrate}k{p.achannels ? ` ${p.achannels}ch` : ''} → {r?.output ?? (p.target || `${x.stream}_${p.name}`)}
                                {r && r.frames > 0 ? ` · ${r.width}x${r.height} ${r.kbps} kbps` : ''}
                              </Text>
                            );
                          })}
                          {x.abr && (
                            <Group gap={4} wrap="nowrap">
                              <Text size="xs">{t('transcode.abr')}:</Text>
                              <Anchor size="xs" href={x.abr} target="_blank" data-testid="tc-abr">{`${location.origin}${x.abr}`}</Anchor>
                            </Group>
                          )}
                        </Stack>
                      </Table.Td>
                      <Table.Td miw={160}><StateBadge status={x.status} live={x.live} /></Table.Td>
                      <Table.Td miw={150}><Progress live={x.live} /></Table.Td>
                      <Table.Td>
                        <Stack gap={4}>
                          <Button size="xs" variant="light" onClick={() => void toggle(x)} data-testid="tc-toggle">{x.enabled ? t('transcode.disable') : t('transcode.enable')}</Button>
                          <Button size="xs" variant="light" onClick={() => setDraft({ id: x.id, stream: x.stream, enabled: x.enabled, label: x.label, profiles: x.profiles.map((p) => ({ ...p })) })} data-testid="tc-edit">{t('transcode.edit')}</Button>
                          <Button size="xs" variant="light" onClick={() => setLogOf(x)} data-testid="tc-show-log">{t('transcode.log')}</Button>
                          <Button size="xs" variant="light" color="red" data-testid="tc-remove"
                            onClick={() => { if (window.confirm(t('transcode.confirmRemove'))) void act(() => api.removeTranscode(x.id)); }}>{t('transcode.remove')}</Button>
                        </Stack>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Stack>
      </Card>
      <GlobalCard onMsg={onMsg} />
      <Modal opened={!!draft} onClose={() => setDraft(null)} title={draft?.id ? t('transcode.edit') : t('transcode.add')} size="xl">
        {draft && (
          <Stack>
            <Group grow>
              <TextInput label={t('transcode.stream')} value={draft.stream} onChange={(e) => setDraft({ ...draft, stream: e.currentTarget.value })} data-testid="tc-stream" />
              <TextInput label={t('transcode.label')} value={draft.label} onChange={(e) => setDraft({ ...draft, label: e.currentTarget.value })} />
            </Group>
            <Switch label={t('transcode.enabled')} checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.currentTarget.checked })} />
            <Text fw={500} size="sm">{t('transcode.renditions')}</Text>
            {draft.profiles.map((p, i) => (
              <ProfileEditor key={i} i={i} p={p}
                onChange={(np) => setDraft({ ...draft, profiles: draft.profiles.map((q, j) => (j === i ? np : q)) })}
                onRemove={() => setDraft({ ...draft, profiles: draft.profiles.filter((_, j) => j !== i) })} />
            ))}
            <Group justify="space-between">
              <Button size="xs" variant="light" onClick={() => setDraft({ ...draft, profiles: [...draft.profiles, { ...NEW_PROFILE, name: `r${draft.profiles.length + 1}` }] })} data-testid="tc-add-rendition">{t('transcode.addRendition')}</Button>
              <Group gap="xs">
                <Button size="xs" variant="subtle" onClick={() => setDraft(null)}>{t('transcode.cancel')}</Button>
                <Button size="xs" onClick={() => void save()} data-testid="tc-save">{t('common.save')}</Button>
              </Group>
            </Group>
          </Stack>
        )}
      </Modal>
      <Modal opened={!!logOf} onClose={() => setLogOf(null)} title={logOf ? `${t('transcode.log')}: ${logOf.stream}` : ''} size="xl">
        {logOf && <LogView lines={list.find((x) => x.id === logOf.id)?.status.log ?? logOf.status.log} />}
        {logOf?.abr && <CopyField label={t('transcode.abr')} value={`${location.origin}${logOf.abr}`} />}
      </Modal>
    </Stack>
  );
}
