// The frame of the pages before login: a card in the middle with the language switch.
import { Card, Center, Group, SegmentedControl, Stack, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { setLanguage } from '../i18n/i18n';

export function Centered({ title, children }: { title: string; children: React.ReactNode }) {
  const { i18n } = useTranslation();
  return (
    <Center mih="100vh" p="md">
      <Card withBorder shadow="sm" padding="lg" w="100%" maw={420}>
        <Stack>
          <Group justify="space-between" wrap="nowrap">
            <Title order={3}>{title}</Title>
            <SegmentedControl size="xs" data-testid="lang" value={i18n.language === 'zh' ? 'zh' : 'en'}
              onChange={(v) => setLanguage(v === 'zh' ? 'zh' : 'en')}
              data={[{ value: 'en', label: 'EN' }, { value: 'zh', label: '中文' }]} />
          </Group>
          {children}
        </Stack>
      </Card>
    </Center>
  );
}
