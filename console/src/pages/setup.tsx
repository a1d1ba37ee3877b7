// First run: set the console password (with a strength hint). When the server asks for the one-time setup
// code (a non-loopback first visit; the code is in the server's log), the form asks for it too.
import { Alert, Button, PasswordInput, Progress, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { saveSession } from '../api/session';
import { Centered } from './centered';

/** 0..4: length and variety of characters. */
export function passwordStrength(p: string): number {
  let s = 0;
  if (p.length >= 8) s++;
  if (p.length >= 12) s++;
  const kinds = [/[a-z]/, /[A-Z]/, /\d/, /[^a-zA-Z0-9]/].filter((r) => r.test(p)).length;
  if (kinds >= 2) s++;
  if (kinds >= 3) s++;
  return p.length < 6 ? 0 : s;
}

const LEVELS = ['setup.weak', 'setup.weak', 'setup.fair', 'setup.good', 'setup.strong'] as const;
const COLORS = ['red', 'red', 'yellow', 'teal', 'green'];

export function SetupPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.initStatus().then((s) => {
      if (s.init) navigate('/login', { replace: true });
      setNeedCode(s.needSetupCode === true);
    }, (e: Error) => setError(e.message));
  }, [navigate]);
  const strength = passwordStrength(password);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (password !== confirm) return setError(t('setup.mismatch'));
    setBusy(true);
    setError('');
    try {
      const r = await api.init(password, needCode ? code.trim() : undefined);
      saveSession({ token: r.token, expireAt: r.expireAt });
      navigate('/dashboard', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Centered title={t('setup.title')}>
      <Text size="sm">{t('setup.intro')}</Text>
      <form onSubmit={submit}>
        <Stack>
          {needCode && (
            <TextInput label={t('setup.code')} description={t('setup.codeHint')} value={code}
              onChange={(e) => setCode(e.currentTarget.value)} data-testid="setup-code" required />
          )}
          <PasswordInput label={t('setup.password')} value={password} onChange={(e) => setPassword(e.currentTarget.value)}
            data-testid="new-password" required minLength={1} autoFocus />
          <div>
            <Progress value={password ? (strength + 1) * 20 : 0} color={COLORS[strength]} size="sm" />
            {password && <Text size="xs" c="dimmed" data-testid="strength">{t('setup.strength', { level: t(LEVELS[strength]) })}</Text>}
          </div>
          <PasswordInput label={t('setup.confirm')} value={confirm} onChange={(e) => setConfirm(e.currentTarget.value)}
            data-testid="confirm-password" required />
          {error && <Alert color="red" data-testid="setup-error">{error}</Alert>}
          <Button type="submit" loading={busy} data-testid="set-password">{t('setup.submit')}</Button>
        </Stack>
      </form>
    </Centered>
  );
}
