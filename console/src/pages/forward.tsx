// Restream (SRS Stack's forward): the targets with their state, refreshed every 2 s (running with its input,
// frames, kbps and uptime; retrying in N s with the reason the target gave; the last log lines), add and edit
// a target (server, stream key, input stream, backup stream), and enable or disable it with a switch.
import { Alert, Badge, Button, Card, Code, Group, Modal, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { ForwardConfig, ForwardStream } from '../api/types';
import { duration } from '../format';

const STATE_COLORS: Record<string, string> = { starting: 'blue', running: 'green', retrying: 'orange', stopped: 'gray', failed: 'red' };

function newSlot(n: number): string {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `forwarding-${n}-${hex}`;
}

const EMPTY: ForwardConfig = { platform: '', server: '', secret: '', enabled: true, custom: true, label: '', stream: '', backup: '' };

export function ForwardPage() {
  const { t, i18n } = useTranslation();
  const [configs, setConfigs] = useState<Record<string, ForwardConfig>>({});
  const [streams, setStreams] = useState<ForwardStream[]>([]);
  const [limit, setLimit] = useState(10);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [editing, setEditing] = useState<ForwardConfig | null>(null);
  const [logOf, setLogOf] = useState<ForwardStream | null>(null);

  const load = useCallback(() => {
    api.forwardConfigs().then((c) => setConfigs(c ?? {}), (e: Error) => setMsg({ ok: false, text: e.message }));
    api.forwardStreams().then((s) => setStreams(Array.isArray(s) ? s : []), () => undefined);
  }, []);
  useEffect(() => {
    load();
    api.envs().then((e) => { if (typeof e.forwardLimit === 'number') setLimit(e.forwardLimit); }, () => undefined);
    const id = window.setInterval(load, 2000);
    return () => window.clearInterval(id);
  }, [load]);

  const save = async (c: ForwardConfig, close: boolean) => {
    try {
      await api.forwardUpdate(c);
      setMsg({ ok: true, text: t('common.saved') });
      if (close) setEditing(null);
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };

  const platforms = [...new Set([...Object.keys(configs), ...streams.map((s) => s.platform)])].sort();
  const stateText = (st: string) => (i18n.exists(`forward.states.${st}`) ? t(`forward.states.${st}`) : st);

  return (
    <Stack>
      <Title order={3}>{t('forward.title')}</Title>
      <Text size="sm" c="dimmed">{t('forward.intro', { limit })}</Text>
      {msg && <Alert color={msg.ok ? 'green' : 'red'} withCloseButton onClose={() => setMsg(null)} data-testid="forward-msg">{msg.text}</Alert>}
      <Group>
        <Button size="xs" data-testid="forward-add" onClick={() => { setMsg(null); setEditing({ ...EMPTY, platform: newSlot(platforms.length + 1) }); }}>{t('forward.add')}</Button>
      </Group>
      <Card withBorder>
        {platforms.length === 0 ? <Text size="sm" c="dimmed" data-testid="forward-empty">{t('forward.empty')}</Text> : (
          <Table.ScrollContainer minWidth={860}>
            <Table striped data-testid="forward-targets">
              <Table.Thead><Table.Tr>
                <Table.Th>{t('forward.enabled')}</Table.Th><Table.Th>{t('forward.label')}</Table.Th><Table.Th>{t('forward.input')}</Table.Th>
                <Table.Th>{t('forward.target')}</Table.Th><Table.Th>{t('forward.state')}</Table.Th><Table.Th>{t('forward.stats')}</Table.Th><Table.Th />
              </Table.Tr></Table.Thead>
              <Table.Tbody>
                {platforms.map((p) => {
                  const c = configs[p] ?? { ...EMPTY, platform: p };
                  const s = streams.find((x) => x.platform === p);
                  const st = s?.state ?? (c.enabled ? 'starting' : 'stopped');
                  const lastLog = s?.log?.[s.log.length - 1];
                  return (
                    <Table.Tr key={p} data-testid={`forward-${p}`}>
                      <Table.Td>
                        <Switch checked={c.enabled} data-testid="forward-enabled" aria-label={t('forward.enabled')}
                          onChange={(e) => { const on = e.currentTarget.checked; void save({ ...c, enabled: on }, false); }} />
                      </Table.Td>
                      <Table.Td><Text size="sm" fw={500}>{c.label || p}</Text><Text size="xs" c="dimmed">{p}</Text></Table.Td>
                      <Table.Td>
                        <Text size="sm">{c.stream || t('forward.anyStream')}</Text>
                        {c.backup && <Text size="xs" c="dimmed">{t('forward.backup')}: {c.backup}</Text>}
                      </Table.Td>
                      <Table.Td miw={170}><Text size="xs" style={{ wordBreak: 'break-all' }}>{s?.target || c.server}</Text></Table.Td>
                      <Table.Td miw={200}>
                        <Badge color={STATE_COLORS[st] ?? 'gray'} data-testid="forward-state">{stateText(st)}</Badge>
                        {st === 'running' && s?.stream && <Text size="xs" data-testid="forward-input">{t('forward.following', { stream: s.stream })}</Text>}
                        {s?.switching && <Text size="xs" c="blue">{t('forward.switching', { stream: s.switching })}</Text>}
                        {st === 'retrying' && <Text size="xs" c="orange" data-testid="forward-retry">{t('forward.retryIn', { s: Math.ceil((s?.retryInMs ?? 0) / 1000) })}</Text>}
                        {s?.reason && st !== 'running' && <Text size="xs" c={st === 'starting' || st === 'stopped' ? 'dimmed' : 'red'} data-testid="forward-reason">{s.reason}</Text>}
                        {!!s?.switches && <Text size="xs" c="dimmed">{t('forward.switches', { n: s.switches })}</Text>}
                      </Table.Td>
                      <Table.Td>
                        {st === 'running' && s ? (
                          <Text size="sm" data-testid="forward-stats">{s.frames ?? 0} / {s.kbps ?? 0} / {duration(s.uptime ?? 0)}</Text>
                        ) : <Text size="sm" c="dimmed">-</Text>}
                        {lastLog && <Text size="xs" c="dimmed" lineClamp={1} maw={260} title={lastLog}>{lastLog}</Text>}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Button size="xs" variant="light" data-testid="forward-edit" onClick={() => { setMsg(null); setEditing({ ...EMPTY, ...c }); }}>{t('forward.edit')}</Button>
                          <Button size="xs" variant="subtle" data-testid="forward-log" disabled={!s?.log?.length} onClick={() => setLogOf(s ?? null)}>{t('forward.showLog')}</Button>
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

      <Modal opened={!!editing} onClose={() => setEditing(null)} title={editing && configs[editing.platform] ? t('forward.edit') : t('forward.add')} size="lg">
        {editing && (
          <Stack>
            {msg && !msg.ok && <Alert color="red" data-testid="fw-error">{msg.text}</Alert>}
            <Text size="xs" c="dimmed">{t('forward.platform')}: {editing.platform}</Text>
            <TextInput label={t('forward.label')} description={t('forward.labelHint')} value={editing.label} data-testid="fw-label"
              onChange={(e) => setEditing({ ...editing, label: e.currentTarget.value })} />
            <TextInput label={t('forward.server')} description={t('forward.serverHint')} value={editing.server} data-testid="fw-server" required
              onChange={(e) => setEditing({ ...editing, server: e.currentTarget.value })} />
            <TextInput label={t('forward.secret')} description={t('forward.secretHint')} value={editing.secret} data-testid="fw-secret"
              onChange={(e) => setEditing({ ...editing, secret: e.currentTarget.value })} />
            <TextInput label={t('forward.input')} description={t('forward.inputHint')} value={editing.stream} data-testid="fw-stream"
              onChange={(e) => setEditing({ ...editing, stream: e.currentTarget.value })} />
            <TextInput label={t('forward.backup')} description={t('forward.backupHint')} value={editing.backup ?? ''} data-testid="fw-backup"
              onChange={(e) => setEditing({ ...editing, backup: e.currentTarget.value })} />
            <Switch label={t('forward.enabled')} checked={editing.enabled} data-testid="fw-enabled"
              onChange={(e) => setEditing({ ...editing, enabled: e.currentTarget.checked })} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setEditing(null)}>{t('forward.cancel')}</Button>
              <Button data-testid="fw-save" onClick={() => void save(editing, true)}>{t('forward.save')}</Button>
            </Group>
          </Stack>
        )}
      </Modal>
      <Modal opened={!!logOf} onClose={() => setLogOf(null)} title={t('forward.log')} size="xl">
        {logOf && <Code block data-testid="forward-log-lines">{(streams.find((x) => x.platform === logOf.platform)?.log ?? logOf.log ?? []).join('\n')}</Code>}
      </Modal>
    </Stack>
  );
}
