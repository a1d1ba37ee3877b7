// A local stand-in for OpenAI's HTTP API, for the AI subtitle tests (OpenAI cannot be reached here). It speaks
// the paths the server uses: GET /v1/models, GET /v1/models/<id>, POST /v1/audio/transcriptions (multipart:
// file, model, language, prompt, response_format json | verbose_json | text | srt | vtt) and
// POST /v1/chat/completions. The words come from the audio: the file is turned into 16 kHz mono WAV by ffmpeg and
// recognised by Debian's pocketsphinx (pocketsphinx_continuous with the pocketsphinx-en-us model). Every
// transcription request is recorded (model, language, prompt, file name and type, duration) for the tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StandinRequest {
  model: string;
  language: string;
  prompt: string;
  responseFormat: string;
  fileName: string;
  fileType: string;
  fileBytes: number;
  /** seconds of audio, from the WAV ffmpeg made */
  duration: number;
  text: string;
}

export interface StandinWord {
  word: string;
  start: number;
  end: number;
}

export interface StandinOptions {
  /** the API key it accepts (Authorization: Bearer <key>) */
  key: string;
  /** the models it lists (default whisper-1 and gpt-3.5-turbo) */
  models?: string[];
  port?: number;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-400)}`))));
  });
}

/** Recognises a file of any format ffmpeg reads: the words with their times (s). */
export async function recognise(file: string): Promise<{ words: StandinWord[]; duration: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'standin-'));
  try {
    const wav = join(dir, 'a.wav');
    await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', file, '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', wav]);
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', wav]);
    const out = await run('pocketsphinx_continuous', ['-infile', wav, '-time', 'yes', '-logfn', '/dev/null']);
    const words: StandinWord[] = [];
    for (const line of out.split('\n')) {
      const m = /^(\S+) (\d+\.\d+) (\d+\.\d+)/.exec(line.trim());
      if (!m) continue;
      const w = m[1].replace(/\(\d+\)$/, '');
      if (w.startsWith('<') || w.startsWith('[')) continue;
      words.push({ word: w, start: Number(m[2]), end: Number(m[3]) });
    }
    return { words, duration: Number(probe.trim()) || 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Words into segments: a pause of 0.5 s or more starts a new one. */
function segmentsOf(words: StandinWord[]): { start: number; end: number; text: string }[] {
  const out: { start: number; end: number; text: string }[] = [];
  for (const w of words) {
    const last = out[out.length - 1];
    if (last && w.start - last.end < 0.5) {
      last.text += ` ${w.word}`;
      last.end = w.end;
    } else out.push({ start: w.start, end: w.end, text: w.word });
  }
  return out;
}

function ts(s: number, sep: string): string {
  const ms = Math.round(s * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3600000))}:${p(Math.floor(ms / 60000) % 60)}:${p(Math.floor(ms / 1000) % 60)}${sep}${p(ms % 1000, 3)}`;
}

export class OpenAiStandin {
  readonly requests: StandinRequest[] = [];
  private server: Server | null = null;
  private portNo = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'standin-files-'));

  constructor(private readonly opts: StandinOptions) {}

  get port(): number {
    return this.portNo;
  }

  /** http://127.0.0.1:<port>/v1 */
  get baseURL(): string {
    return `http://127.0.0.1:${this.portNo}/v1`;
  }

  /** Listens (again, on the same port after stop()). */
  async start(): Promise<void> {
    const srv = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.send(res, 500, { error: { message: String(e), type: 'server_error' } }));
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.portNo || this.opts.port || 0, '127.0.0.1', () => resolve());
    });
    this.portNo = (srv.address() as AddressInfo).port;
    this.server = srv;
  }

  /** Stops listening: the API is unreachable until start(). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private get models(): string[] {
    return this.opts.models ?? ['whisper-1', 'gpt-3.5-turbo'];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${this.opts.key}`) {
      const given = auth.replace(/^Bearer /, '');
      this.send(res, 401, {
        error: {
          message: `Incorrect API key provided: ${given.slice(0, 3)}***${given.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
      return;
    }
    const model = (id: string): Record<string, unknown> => ({ id, object: 'model', created: 1677610602, owned_by: 'openai' });
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      this.send(res, 200, { object: 'list', data: this.models.map(model) });
      return;
    }
    const mm = /^\/v1\/models\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && mm) {
      const id = decodeURIComponent(mm[1]);
      if (this.models.includes(id)) this.send(res, 200, model(id));
      else this.send(res, 404, { error: { message: `The model '${id}' does not exist`, type: 'invalid_request_error', code: 'model_not_found' } });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { model?: string };
      this.send(res, 200, {
        id: 'chatcmpl-standin',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? '',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! (stand-in)' }, finish_reason: 'stop' }],
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/audio/transcriptions') {
      await this.transcribe(req, res);
      return;
    }
    this.send(res, 404, { error: { message: `Unknown path ${url.pathname}`, type: 'invalid_request_error' } });
  }

  private async transcribe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = await new Request('http://x/', {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body: Buffer.concat(chunks),
    }).formData();
    const file = form.get('file');
    const model = String(form.get('model') ?? '');
    if (!(file instanceof Blob)) {
      this.send(res, 400, { error: { message: "'file' is a required property", type: 'invalid_request_error' } });
      return;
    }
    if (!this.models.includes(model)) {
      this.send(res, 404, { error: { message: `The model '${model}' does not exist`, type: 'invalid_request_error', code: 'model_not_found' } });
      return;
    }
    const name = (file as File).name || 'audio';
    const path = join(this.dir, `${Date.now()}-${Math.random().toString(36).slice(2)}-${name.replace(/[^\w.-]/g, '_')}`);
    writeFileSync(path, Buffer.from(await file.arrayBuffer()));
    let rec: { words: StandinWord[]; duration: number };
    try {
      rec = await recognise(path);
    } catch (e) {
      this.send(res, 400, { error: { message: `Invalid file format: ${String(e)}`, type: 'invalid_request_error' } });
      return;
    } finally {
      rmSync(path, { force: true });
    }
    const segs = segmentsOf(rec.words);
    const text = segs.map((s) => s.text).join(' ');
    const format = String(form.get('response_format') ?? 'json');
    this.requests.push({
      model,
      language: String(form.get('language') ?? ''),
      prompt: String(form.get('prompt') ?? ''),
      responseFormat: format,
      fileName: name,
      fileType: file.type,
      fileBytes: file.size,
      duration: rec.duration,
      text,
    });
    if (format === 'text') this.send(res, 200, `${text}\n`, 'text/plain');
    else if (format === 'srt') this.send(res, 200, segs.map((s, i) => `${i + 1}\n${ts(s.start, ',')} --> ${ts(s.end, ',')}\n${s.text}\n`).join('\n'), 'text/plain');
    else if (format === 'vtt') this.send(res, 200, `WEBVTT\n\n${segs.map((s) => `${ts(s.start, '.')} --> ${ts(s.end, '.')}\n${s.text}\n`).join('\n')}`, 'text/plain');
    else if (format === 'verbose_json') {
      this.send(res, 200, {
        task: 'transcribe',
        language: String(form.get('language') ?? '') || 'english',
        duration: rec.duration,
        text,
        segments: segs.map((s, id) => ({ id, seek: 0, start: s.start, end: s.end, text: ` ${s.text}`, tokens: [], temperature: 0, avg_logprob: -0.3, compression_ratio: 1, no_speech_prob: 0.01 })),
      });
    } else this.send(res, 200, { text });
  }
}
