// The app shell: header (title, language, logout), navigation, and the routes. Pages that need a login send
// the user to /login, with a message when the session ended on its own (expired or revoked token).
import { AppShell, Burger, Button, Group, NavLink, SegmentedControl, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate, NavLink as RouterLink } from 'react-router-dom';
import { api } from './api/client';
import { clearSession, forgetSessionEnded, loadSession, onSessionRejected } from './api/session';
import type { Beian } from './api/types';
import { setLanguage } from './i18n/i18n';
import { LoginPage } from './pages/login';
import { SetupPage } from './pages/setup';
import { DashboardPage } from './pages/dashboard';
import { StreamingPage } from './pages/streaming';
import { RecordingPage } from './pages/recording';
import { TranscodePage } from './pages/transcode';
import { ForwardPage } from './pages/forward';
import { CamerasPage } from './pages/cameras';
import { VlivePage } from './pages/vlive';
import { CallbacksPage } from './pages/callbacks';
import { SettingsPage } from './pages/settings';
import { OpenApiPage } from './pages/openapi';
import { HttpsPage } from './pages/https';
import { EmbedPlayerPage } from './pages/embed-player';
import { LiveRoomsPage } from './pages/live-rooms';
import { LiveRoomPage } from './pages/live-room';
import { PublicRoomPage } from './pages/public-room';

const NAV = [
  { to: '/dashboard', key: 'nav.dashboard' },
  { to: '/streaming', key: 'nav.streaming' },
  { to: '/live-rooms', key: 'nav.rooms' },
  { to: '/recording', key: 'nav.recording' },
  { to: '/forward', key: 'nav.forward' },
  { to: '/transcode', key: 'nav.transcode' },
  { to: '/cameras', key: 'nav.cameras' },
  { to: '/vlive', key: 'nav.vlive' },
  { to: '/callbacks', key: 'nav.callbacks' },
  { to: '/https', key: 'nav.https' },
  { to: '/settings', key: 'nav.settings' },
  { to: '/openapi', key: 'nav.openapi' },
] as const;

function LanguageSwitch() {
  const { i18n } = useTranslation();
  return (
    <SegmentedControl
      size="xs"
      data-testid="lang"
      value={i18n.language === 'zh' ? 'zh' : 'en'}
      onChange={(v) => setLanguage(v === 'zh' ? 'zh' : 'en')}
      data={[{ value: 'en', label: 'EN' }, { value: 'zh', label: '中文' }]}
    />
  );
}

function Shell({ children, beian }: { children: React.ReactNode; beian: Beian }) {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure();
  const navigate = useNavigate();
  const loc = useLocation();
  useEffect(close, [loc.pathname, close]);
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md"
      footer={beian.icp ? { height: 32 } : undefined}>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.menu')} />
            <Title order={4} style={{ whiteSpace: 'nowrap' }}>{beian.title || t('app.title')}</Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <LanguageSwitch />
            <Button size="xs" variant="subtle" data-testid="logout" onClick={() => { clearSession(); forgetSessionEnded(); navigate('/login'); }}>
              {t('nav.logout')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {NAV.map((n) => (
          <NavLink key={n.to} component={RouterLink} to={n.to} label={t(n.key)} active={loc.pathname === n.to || loc.pathname.startsWith(`${n.to}/`)} data-testid={`nav-${n.to.slice(1)}`} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
      {beian.icp && (
        <AppShell.Footer p={6}>
          <Text size="xs" ta="center" data-testid="beian">{beian.icp}</Text>
        </AppShell.Footer>
      )}
    </AppShell>
  );
}

function Guard({ children, beian }: { children: React.ReactNode; beian: Beian }) {
  if (!loadSession()) return <Navigate to="/login" replace />;
  return <Shell beian={beian}>{children}</Shell>;
}

export function App() {
  const navigate = useNavigate();
  const [beian, setBeian] = useState<Beian>({});
  useEffect(() => {
    api.beian().then((b) => setBeian(b ?? {}), () => undefined);
  }, []);
  useEffect(() => {
    if (beian.title) document.title = beian.title;
  }, [beian.title]);
  useEffect(
    () => onSessionRejected((reason) => navigate('/login', { replace: true, state: { expired: reason } })),
    [navigate],
  );
  const guarded = (el: React.ReactNode) => <Guard beian={beian}>{el}</Guard>;
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/players/*" element={<EmbedPlayerPage />} />
      <Route path="/rooms/:uuid" element={<PublicRoomPage />} />
      <Route path="/live-rooms" element={guarded(<LiveRoomsPage />)} />
      <Route path="/live-rooms/:uuid" element={guarded(<LiveRoomPage />)} />
      <Route path="/dashboard" element={guarded(<DashboardPage />)} />
      <Route path="/streaming" element={guarded(<StreamingPage />)} />
      <Route path="/recording" element={guarded(<RecordingPage />)} />
      <Route path="/transcode" element={guarded(<TranscodePage />)} />
      <Route path="/forward" element={guarded(<ForwardPage />)} />
      <Route path="/cameras" element={guarded(<CamerasPage />)} />
      <Route path="/vlive" element={guarded(<VlivePage />)} />
      <Route path="/callbacks" element={guarded(<CallbacksPage />)} />
      <Route path="/settings" element={guarded(<SettingsPage onBeian={setBeian} />)} />
      <Route path="/https" element={guarded(<HttpsPage />)} />
      <Route path="/openapi" element={guarded(<OpenApiPage />)} />
      <Route path="*" element={<Navigate to={loadSession() ? '/dashboard' : '/login'} replace />} />
    </Routes>
  );
}
