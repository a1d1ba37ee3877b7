// Login: the password for a token. Goes to first-run setup when no password is set yet; shows why the last
// session ended (expired or revoked) and the server's message on a wrong password (throttling included).
import { Alert, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { saveSession, sessionEndedReason } from '../api/session';
import { Centered } from './centered';

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const loc = useLocation();
  const expired = (loc.state as { expired?: string } | null)?.expired || sessionEndedReason();
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.initStatus().then((s) => { if (!s.init) navigate('/setup', { replace: true }); }, () => undefined);
  }, [navigate]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const r = await api.login(password);
      saveSession({ token: r.token, expireAt: r.expireAt });
      navigate('/dashboard', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Centered title={t('login.title')}>
      {expired && <Alert color="yellow" data-testid="expired">{t('login.expired')}</Alert>}
      <form onSubmit={submit}>
        <Stack>
          <PasswordInput label={t('login.password')} value={password} onChange={(e) => setPassword(e.currentTarget.value)}
            data-testid="password" autoFocus required />
          {error && <Alert color="red" data-testid="login-error">{error}</Alert>}
          <Button type="submit" loading={busy} data-testid="login">{t('login.submit')}</Button>
          {busy && <Text size="xs" c="dimmed">{t('login.slow')}</Text>}
        </Stack>
      </form>
    </Centered>
  );
}
