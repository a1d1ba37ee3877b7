// Settings: HLS (no per-viewer context, low latency), limits of virtual live and IP camera streams, the page
// title and ICP (beian) footer, the OpenAI settings, and the console password.
import { Alert, Button, Card, Group, NumberInput, PasswordInput, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Beian, Limits, OpenAiSettings } from '../api/types';

export function SettingsPage({ onBeian }: { onBeian: (b: Beian) => void }) {
  const { t } = useTranslation();
  const [noHlsCtx, setNoHlsCtx] = useState(false);
  const [ll, setLl] = useState(false);
  const [limits, setLimits] = useState<Limits>({ vlive: 5000, camera: 5000 });
  const [beian, setBeian] = useState<Beian>({});
  const [openai, setOpenai] = useState<OpenAiSettings>({ aiSecretKey: '', aiBaseURL: '', aiOrganization: '' });
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [pw, setPw] = useState({ old: '', next: '', confirm: '' });
  const [pwMsg, setPwMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const changePassword = async () => {
    if (pw.next !== pw.confirm) { setPwMsg({ ok: false, text: t('setup.mismatch') }); return; }
    try {
      await api.changePassword(pw.old, pw.next);
      setPw({ old: '', next: '', confirm: '' });
      setPwMsg({ ok: true, text: t('settings.passwordChanged') });
    } catch (e) { setPwMsg({ ok: false, text: (e as Error).message }); }
  };
  useEffect(() => {
    const fail = (e: Error) => setMsg({ ok: false, text: e.message });
    api.hphls().then((x) => setNoHlsCtx(x.noHlsCtx), fail);
    api.hlsll().then((x) => setLl(x.hlsLowLatency), fail);
    api.limits().then(setLimits, fail);
    api.beian().then((b) => setBeian(b ?? {}), fail);
    api.openai().then(setOpenai, fail);
  }, []);
  const act = async (f: () => Promise<unknown>) => {
    try { await f(); setMsg({ ok: true, text: t('common.saved') }); } catch (e) { setMsg({ ok: false, text: (e as Error).message }); }
  };
  const saveBeian = () => act(async () => {
    // The server keeps a text once set (an empty one is refused), so only filled fields are sent.
    if (beian.icp?.trim()) await api.setBeian('icp', beian.icp.trim());
    if (beian.title?.trim()) await api.setBeian('title', beian.title.trim());
    onBeian({ ...beian });
  });
  return (
    <Stack>
      <Title order={3}>{t('settings.title')}</Title>
      {msg && <Alert color={msg.ok ? 'green' : 'red'} withCloseButton onClose={() => setMsg(null)} data-testid="settings-msg">{msg.text}</Alert>}
      <Card withBorder maw={720}>
        <Title order={5} mb="xs">HLS</Title>
        <Stack>
          <Switch label={t('settings.noHlsCtx')} description={t('settings.noHlsCtxHint')} checked={noHlsCtx} data-testid="hphls"
            onChange={(e) => { const v = e.currentTarget.checked; setNoHlsCtx(v); void act(() => api.setHphls(v)); }} />
          <Switch label={t('settings.hlsLowLatency')} description={t('settings.hlsLowLatencyHint')} checked={ll} data-testid="hlsll"
            onChange={(e) => { const v = e.currentTarget.checked; setLl(v); void act(() => api.setHlsll(v)); }} />
        </Stack>
      </Card>
      <Card withBorder maw={720}>
        <Title order={5} mb="xs">{t('settings.limits')}</Title>
        <Stack>
          <NumberInput label={t('settings.vliveLimit')} min={1} value={limits.vlive} onChange={(v) => setLimits({ ...limits, vlive: Number(v) || 0 })} />
          <NumberInput label={t('settings.cameraLimit')} min={1} value={limits.camera} onChange={(v) => setLimits({ ...limits, camera: Number(v) || 0 })} />
          <Group><Button size="xs" onClick={() => void act(() => api.setLimits(limits))} data-testid="save-limits">{t('common.save')}</Button></Group>
        </Stack>
      </Card>
      <Card withBorder maw={720}>
        <Title order={5} mb="xs">{t('settings.branding')}</Title>
        <Stack>
          <TextInput label={t('settings.pageTitle')} value={beian.title ?? ''} onChange={(e) => setBeian({ ...beian, title: e.currentTarget.value })} data-testid="beian-title" />
          <TextInput label={t('settings.icp')} description={t('settings.icpHint')} value={beian.icp ?? ''} onChange={(e) => setBeian({ ...beian, icp: e.currentTarget.value })} data-testid="beian-icp" />
          <Group><Button size="xs" onClick={() => void saveBeian()} data-testid="save-beian">{t('common.save')}</Button></Group>
        </Stack>
      </Card>
      <Card withBorder maw={720}>
        <Title order={5} mb="xs">OpenAI</Title>
        <Stack>
          <PasswordInput label={t('settings.aiKey')} value={openai.aiSecretKey} onChange={(e) => setOpenai({ ...openai, aiSecretKey: e.currentTarget.value })} />
          <TextInput label={t('settings.aiBaseUrl')} placeholder="https://api.openai.com/v1" value={openai.aiBaseURL} onChange={(e) => setOpenai({ ...openai, aiBaseURL: e.currentTarget.value })} />
          <TextInput label={t('settings.aiOrg')} value={openai.aiOrganization} onChange={(e) => setOpenai({ ...openai, aiOrganization: e.currentTarget.value })} />
          <Group><Button size="xs" onClick={() => void act(() => api.setOpenai(openai))} data-testid="save-openai">{t('common.save')}</Button></Group>
        </Stack>
      </Card>
      <Card withBorder maw={720}>
        <Title order={5} mb="xs">{t('settings.password')}</Title>
        <Stack>
          <Text size="sm">{t('settings.passwordHint')}</Text>
          {pwMsg && <Alert color={pwMsg.ok ? 'green' : 'red'} data-testid="password-msg">{pwMsg.text}</Alert>}
          <PasswordInput label={t('settings.oldPassword')} value={pw.old} autoComplete="current-password" data-testid="old-password"
            onChange={(e) => setPw({ ...pw, old: e.currentTarget.value })} />
          <PasswordInput label={t('settings.newPassword')} value={pw.next} autoComplete="new-password" data-testid="change-password-new"
            onChange={(e) => setPw({ ...pw, next: e.currentTarget.value })} />
          <PasswordInput label={t('settings.confirmPassword')} value={pw.confirm} autoComplete="new-password" data-testid="change-password-confirm"
            onChange={(e) => setPw({ ...pw, confirm: e.currentTarget.value })} />
          <Group><Button size="xs" disabled={!pw.old || !pw.next} onClick={() => void changePassword()} data-testid="change-password">{t('settings.changePassword')}</Button></Group>
        </Stack>
      </Card>
    </Stack>
  );
}
