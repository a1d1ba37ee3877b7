// HTTPS: the certificate in use (where it came from, domains, issuer, expiry), and the three ways to change it:
// Let's Encrypt for a domain (with the steps while it runs and, when it fails, what to fix in plain words),
// the user's own key and certificate (checked by the server first), or a new self-signed one. The server
// swaps the certificate into HTTPS and RTMPS at once; nothing restarts.
import { Alert, Badge, Button, Card, Code, Group, Stack, Stepper, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { AcmeStep, CertQuery } from '../api/types';

const STEPS: Exclude<AcmeStep, ''>[] = ['account', 'order', 'challenge', 'validating', 'finalizing', 'downloading'];

function daysLeft(iso: string): number {
  return Math.floor((new Date(iso).getTime() - Date.now()) / 86400_000);
}

export function HttpsPage() {
  const { t } = useTranslation();
  const [q, setQ] = useState<CertQuery | null>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [domain, setDomain] = useState('');
  const [requesting, setRequesting] = useState(false);
  const [key, setKey] = useState('');
  const [crt, setCrt] = useState('');
  const [uploadMsg, setUploadMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const poll = useRef<number | null>(null);

  const load = useCallback(() => {
    api.cert().then((x) => { setQ(x); if (x.domain) setDomain((d) => d || x.domain); }, (e: Error) => setMsg({ ok: false, text: e.message }));
  }, []);
  useEffect(load, [load]);
  // While a request runs (ours or a renewal), follow its steps.
  const running = requesting || q?.acme?.state === 'running';
  useEffect(() => {
    if (!running) return;
    poll.current = window.setInterval(load, 1000);
    return () => { if (poll.current) window.clearInterval(poll.current); };
  }, [running, load]);

  const request = async () => {
    setRequesting(true);
    setMsg(null);
    try {
      await api.letsencrypt(domain.trim());
      setMsg({ ok: true, text: t('https.issued', { domain: domain.trim() }) });
    } catch (e) {
      // A failed request (502) is shown with its reason under Let's Encrypt; other refusals (a bad name) here.
      if (!(e instanceof ApiError && e.status === 502)) setMsg({ ok: false, text: (e as Error).message });
    } finally {
      setRequesting(false);
      load();
    }
  };
  const upload = async () => {
    setBusy(true);
    try {
      await api.uploadCert(key, crt);
      setUploadMsg({ ok: true, text: t('https.uploaded') });
      setKey('');
      setCrt('');
    } catch (e) {
      setUploadMsg({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
      load();
    }
  };
  const selfSigned = async () => {
    if (!window.confirm(t('https.confirmSelfSigned'))) return;
    try { await api.selfSigned(); setMsg({ ok: true, text: t('https.selfSignedDone') }); } catch (e) { setMsg({ ok: false, text: (e as Error).message }); }
    load();
  };

  const c = q?.certificate;
  const acme = q?.acme;
  const left = c ? daysLeft(c.notAfter) : 0;
  const stepIndex = acme?.step ? STEPS.indexOf(acme.step) : -1;
  return (
    <Stack>
      <Title order={3}>{t('https.title')}</Title>
      <Text size="sm" c="dimmed">{t('https.intro')}</Text>
      <Card withBorder maw={820} data-testid="cert-current">
        <Group justify="space-between" mb="xs">
          <Title order={5}>{t('https.current')}</Title>
          {q?.source && <Badge data-testid="cert-source" color={q.source === 'self-signed' ? 'yellow' : 'green'}>{t(`https.sources.${q.source}`)}</Badge>}
        </Group>
        {c ? (
          <Stack gap={4}>
            <Text size="sm"><b>{t('https.domains')}:</b> <span data-testid="cert-domains">{c.domains.join(', ')}</span></Text>
            <Text size="sm"><b>{t('https.issuer')}:</b> <span data-testid="cert-issuer">{c.issuer}</span></Text>
            <Text size="sm" c={left < 30 ? 'orange' : undefined}><b>{t('https.validUntil')}:</b> <span data-testid="cert-not-after">{new Date(c.notAfter).toLocaleString()}</span> ({t('https.daysLeft', { count: left })})</Text>
            <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>SHA-256 {c.fingerprint}</Text>
            {q?.source === 'self-signed' && <Text size="sm" c="orange">{t('https.selfSignedWarn')}</Text>}
            {q?.source === 'letsencrypt' && <Text size="sm" c="dimmed">{t('https.renews', { days: q.renewBeforeDays ?? 30 })}</Text>}
          </Stack>
        ) : <Text size="sm">…</Text>}
        <Group mt="sm"><Button size="xs" variant="light" color="gray" onClick={() => void selfSigned()} data-testid="cert-self-signed">{t('https.newSelfSigned')}</Button></Group>
      </Card>
      {msg && <Alert color={msg.ok ? 'green' : 'red'} withCloseButton onClose={() => setMsg(null)} data-testid="https-msg" maw={820} style={{ overflowWrap: 'anywhere' }}>{msg.text}</Alert>}

      <Card withBorder maw={820}>
        <Title order={5} mb="xs">Let&apos;s Encrypt</Title>
        <Text size="sm" mb="xs">{t('https.leHint')}</Text>
        <Group align="end">
          <TextInput label={t('https.domain')} placeholder="live.example.com" value={domain} onChange={(e) => setDomain(e.currentTarget.value)}
            data-testid="le-domain" style={{ flex: 1 }} />
          <Button onClick={() => void request()} loading={requesting} disabled={!domain.trim() || running} data-testid="le-request">{t('https.request')}</Button>
        </Group>
        {acme && acme.state !== 'idle' && (
          <Stack mt="md" gap="xs" data-testid="le-status">
            <Text size="sm">
              {acme.renewal ? t('https.lastRenewal') : t('https.lastRequest')} <Code>{acme.domain}</Code>
              {acme.finishedAt ? ` · ${new Date(acme.finishedAt).toLocaleString()}` : ''}
            </Text>
            {acme.state === 'running' && (
              <Stepper active={Math.max(0, stepIndex)} size="xs" data-testid="le-steps">
                {STEPS.map((s) => <Stepper.Step key={s} label={t(`https.steps.${s}`)} />)}
              </Stepper>
            )}
            {acme.state === 'ok' && <Alert color="green" data-testid="le-ok">{t('https.leOk')}</Alert>}
            {acme.state === 'failed' && (
              <Alert color="red" title={t(`https.problems.${acme.problem || 'other'}`)} data-testid="le-error">
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{acme.error}</Text>
                <Text size="xs" c="dimmed" mt={4}>{t('https.keptOld')}</Text>
              </Alert>
            )}
          </Stack>
        )}
        <Text size="xs" c="dimmed" mt="xs">{t('https.directory')}: {acme?.directoryUrl}</Text>
      </Card>

      <Card withBorder maw={820}>
        <Title order={5} mb="xs">{t('https.own')}</Title>
        <Stack>
          <Textarea label={t('https.key')} placeholder="-----BEGIN PRIVATE KEY-----" autosize minRows={3} maxRows={8} value={key}
            onChange={(e) => setKey(e.currentTarget.value)} data-testid="ssl-key" styles={{ input: { fontFamily: 'monospace', fontSize: 12 } }} />
          <Textarea label={t('https.crt')} description={t('https.crtHint')} placeholder="-----BEGIN CERTIFICATE-----" autosize minRows={3} maxRows={8} value={crt}
            onChange={(e) => setCrt(e.currentTarget.value)} data-testid="ssl-crt" styles={{ input: { fontFamily: 'monospace', fontSize: 12 } }} />
          <Group><Button onClick={() => void upload()} loading={busy} disabled={!key.trim() || !crt.trim()} data-testid="ssl-upload">{t('https.upload')}</Button></Group>
          {uploadMsg && <Alert color={uploadMsg.ok ? 'green' : 'red'} style={{ overflowWrap: 'anywhere' }} data-testid="ssl-msg" withCloseButton onClose={() => setUploadMsg(null)}>{uploadMsg.text}</Alert>}
        </Stack>
      </Card>
    </Stack>
  );
}
