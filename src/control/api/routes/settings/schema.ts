// Request bodies of the settings routes (SRS Stack's field names).
import { bool, httpUrl, int, object, optional, str } from '../../schema.js';

export const beianUpdateBody = object({
  beian: str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/, patternHint: 'letters, digits, - or _' }),
  text: str({ min: 1, max: 1024 }),
});

export const limitsUpdateBody = object({
  vlive: int(1, 10_000_000),
  camera: int(1, 10_000_000),
});

export const hphlsUpdateBody = object({ noHlsCtx: bool() });

export const hlsllUpdateBody = object({ hlsLowLatency: bool() });

export const openaiUpdateBody = object({
  aiSecretKey: str({ min: 1, max: 1024 }),
  aiBaseURL: httpUrl(),
  aiOrganization: optional(str({ max: 256 })),
});
