// Request bodies of the AI subtitle routes (SRS Stack's field names; stream, model and segmentSeconds are ours).
import { bool, int, object, optional, str } from '../../schema.js';

const streamName = str({ max: 200, pattern: /^$|^[\w.-]+\/[\w.-]+$/, patternHint: "'' or app/stream" });

export const transcriptApplyBody = object({
  uuid: optional(str({ max: 64 })),
  all: optional(bool()),
  secretKey: optional(str({ max: 1024 })),
  baseURL: optional(str({ max: 1024 })),
  organization: optional(str({ max: 256 })),
  lang: optional(str({ max: 16 })),
  forceStyle: optional(str({ max: 1024 })),
  videoCodecParams: optional(str({ max: 1024 })),
  overlayEnabled: optional(bool()),
  webvttEnabled: optional(bool()),
  stream: optional(streamName),
  model: optional(str({ max: 128 })),
  segmentSeconds: optional(int(1, 60)),
});

export const transcriptCheckBody = object({
  secretKey: optional(str({ max: 1024 })),
  baseURL: optional(str({ max: 1024 })),
  organization: optional(str({ max: 256 })),
  model: optional(str({ max: 128 })),
});

export const transcriptTaskBody = object({
  /** the task: its uuid, else the task of `stream`, else the global task */
  uuid: optional(str({ max: 64 })),
  stream: optional(streamName),
});

export const transcriptUuidBody = object({ uuid: str({ min: 1, max: 64 }) });

export const transcriptClearBody = object({ uuid: str({ min: 1, max: 64 }), tsid: str({ min: 1, max: 128 }) });
