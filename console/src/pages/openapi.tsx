// OpenAPI: the API bearer secret (hidden until asked), curl examples of the common calls, try-it buttons for
// read-only calls, and a link to the server's openapi.json (when the server has it).
import { Alert, Anchor, Button, Card, Code, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { PATHS } from '../api/paths';
import { CopyField } from '../components/copy-field';

const TRY: { path: string; method: 'GET' | 'POST' }[] = [
  { path: PATHS.versions, method: 'GET' },
  { path: PATHS.srsVersions, method: 'GET' },
  { path: PATHS.summaries, method: 'GET' },
  { path: PATHS.streams, method: 'GET' },
  { path: PATHS.clients, method: 'GET' },
  { path: PATHS.streamsQuery, method: 'POST' },
  { path: PATHS.publishSecretQuery, method: 'POST' },
  { path: PATHS.hooksQuery, method: 'POST' },
  { path: PATHS.recordQuery, method: 'POST' },
  { path: PATHS.recordFiles, method: 'POST' },
];

function TryIt({ path, method }: { path: string; method: 'GET' | 'POST' }) {
  const { t } = useTranslation();
  const [out, setOut] = useState<string | null>(null);
  const run = async () => {
    try {
      const text = await api.tryGet(path, method);
      try { setOut(JSON.stringify(JSON.parse(text), null, 2)); } catch { setOut(text); }
    } catch (e) {
      setOut((e as Error).message);
    }
  };
  return (
    <Stack gap={4}>
      <Group gap="xs" wrap="nowrap">
        <Button size="xs" variant="light" style={{ flexShrink: 0 }} onClick={() => void run()} data-testid={`try-${path}`}>{t('openapi.try')}</Button>
        <Text size="sm" style={{ wordBreak: 'break-all' }}><b>{method}</b> {path}</Text>
      </Group>
      {out !== null && <Code block style={{ maxHeight: 240, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="try-out">{out}</Code>}
    </Stack>
  );
}

export function OpenApiPage() {
  const { t } = useTranslation();
  const [bearer, setBearer] = useState('');
  const [error, setError] = useState('');
  const o = location.origin;
  const b = bearer || '<API secret>';
  const examples = [
    `curl ${o}${PATHS.versions}`,
    `curl -X POST ${o}${PATHS.publishSecretQuery} -H 'Authorization: Bearer ${b}'`,
    `curl ${o}${PATHS.streams} -H 'Authorization: Bearer ${b}'`,
    `curl -X POST ${o}${PATHS.recordApply} -H 'Authorization: Bearer ${b}' -d '{"all":true}'`,
    `curl -X POST ${o}${PATHS.hooksApply} -H 'Authorization: Bearer ${b}' -d '{"all":true,"target":"http://your-server/hooks","opaque":"x"}'`,
  ];
  return (
    <Stack>
      <Title order={3}>{t('openapi.title')}</Title>
      <Card withBorder>
        <Title order={5} mb="xs">{t('openapi.bearer')}</Title>
        <Text size="sm" mb="xs">{t('openapi.bearerHint')}</Text>
        {bearer ? <CopyField label={t('openapi.secret')} value={bearer} testId="bearer" /> : (
          <Group><Button size="xs" data-testid="show-bearer" onClick={() => api.apiSecret().then(setBearer, (e: Error) => setError(e.message))}>{t('openapi.show')}</Button></Group>
        )}
        {error && <Alert color="red">{error}</Alert>}
      </Card>
      <Card withBorder>
        <Title order={5} mb="xs">{t('openapi.examples')}</Title>
        <Stack>{examples.map((e, i) => <CopyField key={i} label="" value={e} />)}</Stack>
      </Card>
      <Card withBorder>
        <Title order={5} mb="xs">{t('openapi.tryTitle')}</Title>
        <Stack>{TRY.map((x) => <TryIt key={x.path} {...x} />)}</Stack>
      </Card>
      <Card withBorder>
        <Title order={5} mb="xs">OpenAPI</Title>
        <Text size="sm" mb={4}>{t('openapi.spec')}</Text>
        <Anchor href={PATHS.openapi} target="_blank" data-testid="openapi-link" style={{ wordBreak: 'break-all' }}>{location.origin}{PATHS.openapi}</Anchor>
      </Card>
    </Stack>
  );
}
