// The OpenAI client of the AI features (live subtitles first): the `openai` package pointed at any
// OpenAI-compatible server (OpenAI, Azure, a local whisper server), with the key, base URL and organization of
// the task, else those of mgmt/openai (SRS_SYS_OPENAI). Its errors are turned into sentences that say what is
// wrong and what to do: a refused key, a server that cannot be reached, a missing model.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, AuthenticationError, NotFoundError, toFile } from 'openai';
import { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';

export interface OpenAiSettings {
  secretKey: string;
  baseURL: string;
  organization: string;
}

/** The defaults of every AI feature: mgmt/openai's key, base URL and organization. */
export async function openAiDefaults(store: Store): Promise<OpenAiSettings> {
  const h = await store.hgetall(Keys.SYS_OPENAI);
  return { secretKey: h.key ?? '', baseURL: h.url ?? '', organization: h.org ?? '' };
}

/** The task's settings, each empty one taken from the defaults; the base URL falls back to OpenAI's. */
export function mergeSettings(own: Partial<OpenAiSettings>, defaults: OpenAiSettings): OpenAiSettings {
  return {
    secretKey: own.secretKey || defaults.secretKey,
    baseURL: own.baseURL || defaults.baseURL || 'https://api.openai.com/v1',
    organization: own.organization || defaults.organization,
  };
}

/** A call to the API failed; `message` says what to do, `status` is the HTTP status (0: no answer). */
export class OpenAiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'OpenAiError';
  }
}

/** One recognised piece of speech, seconds from the start of the file. */
export interface AsrCue {
  start: number;
  end: number;
  text: string;
}

export interface Transcription {
  text: string;
  cues: AsrCue[];
  /** seconds of audio the server saw */
  duration: number;
}

export interface TranscribeRequest {
  audio: Buffer;
  /** the file name sent (its extension tells the format: .wav, .m4a, ...) */
  fileName: string;
  model: string;
  /** ISO-639-1, '' to let the server detect it */
  language: string;
  /** the previous segment's text, so words carry over */
  prompt: string;
  signal?: AbortSignal;
}

export class OpenAiClient {
  private readonly client: OpenAI;

  constructor(
    readonly settings: OpenAiSettings,
    opts: { timeoutMs?: number } = {},
  ) {
    this.client = new OpenAI({
      apiKey: settings.secretKey || 'none',
      baseURL: settings.baseURL,
      organization: settings.organization || null,
      timeout: opts.timeoutMs ?? 30000,
      // The callers retry with their own backoff, and say so.
      maxRetries: 0,
    });
  }

  /** Calls the API once (the model's metadata): null when it answers, else what is wrong. */
  async check(model = 'whisper-1', signal?: AbortSignal): Promise<void> {
    if (!this.settings.secretKey) throw new OpenAiError('no API key: set secretKey here or aiSecretKey in mgmt/openai', 0);
    try {
      await this.client.models.retrieve(model, { signal });
    } catch (e) {
      throw this.explain(e, model);
    }
  }

  async transcribe(r: TranscribeRequest): Promise<Transcription> {
    try {
      const res = await this.client.audio.transcriptions.create(
        {
          file: await toFile(r.audio, r.fileName),
          model: r.model,
          response_format: 'verbose_json',
          ...(r.language ? { language: r.language } : {}),
          ...(r.prompt ? { prompt: r.prompt } : {}),
        },
        { signal: r.signal },
      );
      const cues = (res.segments ?? []).map((s) => ({ start: s.start, end: s.end, text: s.text.trim() })).filter((c) => c.text !== '');
      return { text: res.text.trim(), cues, duration: res.duration ?? 0 };
    } catch (e) {
      throw this.explain(e, r.model);
    }
  }

  /** An error of the openai package as a sentence a user can act on. */
  explain(e: unknown, model: string): OpenAiError {
    const at = this.settings.baseURL;
    if (e instanceof OpenAiError) return e;
    if (e instanceof APIConnectionTimeoutError) return new OpenAiError(`the AI server at ${at} did not answer in time: check the base URL, or try again`, 0);
    if (e instanceof APIConnectionError) {
      const cause = e.cause instanceof Error ? `${e.cause.message}${(e.cause as { cause?: Error }).cause ? ` (${String((e.cause as { cause?: Error }).cause?.message)})` : ''}` : e.message;
      return new OpenAiError(`cannot reach the AI server at ${at} (${cause}): check the base URL and that the server is up`, 0);
    }
    if (e instanceof AuthenticationError) return new OpenAiError(`the AI server at ${at} refused the API key (401: ${apiMessage(e)}): set the right secret key`, 401);
    if (e instanceof NotFoundError) return new OpenAiError(`the AI server at ${at} has no model ${model} (404: ${apiMessage(e)}): use a server that offers it`, 404);
    if (e instanceof APIError) return new OpenAiError(`the AI server at ${at} answered ${e.status ?? 'an error'}: ${apiMessage(e)}`, e.status ?? 0);
    return new OpenAiError(`the AI request to ${at} failed: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
}

function apiMessage(e: APIError): string {
  const err = e.error as { message?: string } | undefined;
  return err?.message ?? e.message;
}
