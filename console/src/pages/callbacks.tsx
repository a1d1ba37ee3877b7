// HTTP callbacks: the target URL, opaque string and on/off, the events sent, and the last request and
// response the server recorded, and "send a test" (mgmt/hooks/test) with what the receiver answered. The
// page also offers the server's sample receiver as a target.
import { Alert, Button, Card, Code, Group, List, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { PATHS } from '../api/paths';
import type { HooksSettings, HookTest } from '../api/types';

function pretty(s: string): string {
  try { return JSON.stringify(JSON.parse(s), null, 2); } catch { return s; }
}

export function CallbacksPage() {
  const { t } = useTranslation();
  const [h, setH] = useState<HooksSettings | null>(null);
  const [all, setAll] = useState(false);
  const [target, setTarget] = useState('');
  const [opaque, setOpaque] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const load = useCallback(() => {
    api.hooks().then((x) => { setH(x); setAll(x.all); setTarget(x.target); setOpaque(x.opaque); }, (e: Error) => setMsg({ ok: false, text: e.message }));
  }, []);
  useEffect(load, [load]);
  const [tested, setTested] = useState<HookTest | null>(null);
  const [testing, setTesting] = useState(false);
  const sendTest = async () => {
    setTesting(true);
    try {
      setTested(await api.testHooks());
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    } finally {
      setTesting(false);
    }
  };
  const save = async () => {
    try {
      await api.applyHooks({ all, target: target.trim(), opaque });
      setMsg({ ok: true, text: t('common.saved') });
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  return (
    <Stack>
      <Title order={3}>{t('callbacks.title')}</Title>
      <Card withBorder>
        <Stack>
          <Switch label={t('callbacks.enabled')} checked={all} onChange={(e) => setAll(e.currentTarget.checked)} data-testid="hooks-on" />
          <TextInput label={t('callbacks.target')} placeholder="http://your-server/api/hooks" value={target}
            onChange={(e) => setTarget(e.currentTarget.value)} data-testid="hooks-target" />
          <Group><Button size="xs" variant="subtle" data-testid="hooks-sample"
            onClick={() => setTarget(`${location.origin}${PATHS.hooksExample}?fail=false`)}>{t('callbacks.useSample')}</Button></Group>
          <TextInput label={t('callbacks.opaque')} description={t('callbacks.opaqueHint')} value={opaque}
            onChange={(e) => setOpaque(e.currentTarget.value)} data-testid="hooks-opaque" />
          <Group>
            <Button onClick={() => void save()} data-testid="hooks-save">{t('common.save')}</Button>
            <Button variant="light" loading={testing} disabled={!h?.target} title={t('callbacks.testHint')}
              onClick={() => void sendTest()} data-testid="hooks-test">{t('callbacks.test')}</Button>
          </Group>
          {msg && <Alert color={msg.ok ? 'green' : 'red'} data-testid="hooks-msg">{msg.text}</Alert>}
          {tested && (
            <Alert color={tested.ok ? 'green' : 'red'} data-testid="hooks-test-result" withCloseButton onClose={() => setTested(null)}>
              <Text size="sm">{tested.ok ? t('callbacks.testOk', { status: tested.status }) : t('callbacks.testFail', { reason: tested.reason ?? tested.error })}</Text>
              <Text size="xs" c="dimmed">{tested.target}</Text>
              <Text size="sm" fw={500} mt="xs">{t('callbacks.request')}</Text>
              <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{pretty(tested.request)}</Code>
              {tested.status > 0 && <>
                <Text size="sm" fw={500} mt="xs">{t('callbacks.response')} ({t('callbacks.status')} {tested.status})</Text>
                <Code block data-testid="hooks-test-response" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{tested.response ? pretty(tested.response) : t('callbacks.none')}</Code>
              </>}
            </Alert>
          )}
        </Stack>
      </Card>
      <Card withBorder>
        <Title order={5} mb="xs">{t('callbacks.events')}</Title>
        <List size="sm">
          <List.Item><code>on_publish</code> {t('callbacks.onPublish')}</List.Item>
          <List.Item><code>on_unpublish</code> {t('callbacks.onUnpublish')}</List.Item>
          <List.Item><code>on_record_begin</code> / <code>on_record_end</code> {t('callbacks.onRecord')}</List.Item>
        </List>
      </Card>
      <Card withBorder>
        <Title order={5} mb="xs">{t('callbacks.last')}</Title>
        <Text size="sm" fw={500}>{t('callbacks.request')}</Text>
        <Code block data-testid="hooks-req" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{h?.req ? pretty(h.req) : t('callbacks.none')}</Code>
        <Text size="sm" fw={500} mt="xs">{t('callbacks.response')}</Text>
        <Code block data-testid="hooks-res" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{h?.res ? pretty(h.res) : t('callbacks.none')}</Code>
        <Group mt="xs"><Button size="xs" variant="light" onClick={load}>{t('common.refresh')}</Button></Group>
      </Card>
    </Stack>
  );
}
