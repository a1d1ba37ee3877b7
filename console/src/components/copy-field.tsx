// A read-only value with a copy button (clipboard API, with a fallback for insecure origins).
import { Button, Code, Group, Text, Tooltip } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}

export function CopyField({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  return (
    <div>
      <Text size="sm" fw={500}>{label}</Text>
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <Code block style={{ flex: 1, minWidth: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid={testId}>{value}</Code>
        <Tooltip label={copied ? t('common.copied') : t('common.copy')}>
          <Button
            size="xs"
            variant="light"
            data-testid={testId ? `copy-${testId}` : undefined}
            onClick={() => {
              void copyText(value).then(() => {
                setCopied(true);
                setTimeout(() => setCopied(false), 1500);
              });
            }}
          >
            {copied ? t('common.copied') : t('common.copy')}
          </Button>
        </Tooltip>
      </Group>
    </div>
  );
}

