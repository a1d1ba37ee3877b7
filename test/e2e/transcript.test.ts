// AI subtitles end to end, with a local OpenAI stand-in (test/e2e/openai-standin.ts: pocketsphinx recognises the
// audio): check says plainly what is wrong (a refused key, an unreachable server, a missing model); ffmpeg
// publishes video whose audio is espeak-ng speech of known sentences, and the fix/overlay queues get the words
// with times on the stream's timeline; the WebVTT HLS carries those cues and hls.js in Chromium shows them as
// a text track; with the stand-in down the task shows why and retries, and catches up when it is back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, pageServer } from './browser.js';
import { freePort, randomName, run, sleep, startServer, tempDir, waitFor, type Proc, type TestServer } from './helpers.js';
import { OpenAiStandin } from './openai-standin.js';

const KEY = 'sk-standin-0123456789';
/** Sentences pocketsphinx gets mostly right from espeak-ng at 130 words a minute. */
const SENTENCES = ['hello world this is a test', 'please call me tomorrow morning', 'the weather is very nice today'];
const segmentSeconds = 6;

let server: TestServer;
let standin: OpenAiStandin;
let browser: Browser | null = null;
const procs: Proc[] = [];
let speech = '';

interface FixSeg {
  tsid: string;
  seqno: number;
  start: number;
  duration: number;
  asr: string;
  asrs: { start: number; end: number; text: string }[];
  error: string;
  tries: number;
}

/** One WAV: each sentence, then 1.5 s of silence. */
function makeSpeech(dir: string): string {
  const parts: string[] = [];
  SENTENCES.forEach((s, i) => {
    const p = join(dir, `s${i}.wav`);
    const r = spawnSync('espeak-ng', ['-s', '130', '-v', 'en-us', '-w', p, s]);
    assert.equal(r.status, 0, `espeak-ng: ${r.stderr}`);
    parts.push(p);
  });
  const out = join(dir, 'speech.wav');
  const inputs = parts.flatMap((p) => ['-i', p]);
  const filter = parts.map((_, i) => `[${i}:a]aresample=16000,apad=pad_dur=1.5[a${i}]`).join(';') + ';' + parts.map((_, i) => `[a${i}]`).join('') + `concat=n=${parts.length}:v=0:a=1[out]`;
  const r = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', ...inputs, '-filter_complex', filter, '-map', '[out]', '-ac', '1', out]);
  assert.equal(r.status, 0, `ffmpeg concat: ${r.stderr}`);
  return out;
}

function publishSpeech(url: string): Proc {
  const p = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
    '-stream_loop', '-1', '-re', '-i', speech,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '50', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ar', '44100', '-b:a', '64k', '-f', 'flv', url,
  ]);
  procs.push(p);
  return p;
}

const words = (s: string): string[] => s.toLowerCase().split(/[^a-z']+/).filter(Boolean);

before(async () => {
  speech = makeSpeech(tempDir('transcript-speech-'));
  standin = new OpenAiStandin({ key: KEY });
  await standin.start();
  // A long HLS window so hls.js can play far enough behind live for the subtitles to be there.
  server = await startServer({ HLS_WINDOW: '20' });
  const u = await server.api('/terraform/v1/mgmt/openai/update', { aiSecretKey: KEY, aiBaseURL: standin.baseURL, aiOrganization: '' });
  assert.equal(u.status, 200, JSON.stringify(u));
});

after(async () => {
  for (const p of procs) p.kill();
  await browser?.close().catch(() => undefined);
  await server?.close();
  await standin?.close();
});

describe('AI subtitles', () => {
  test('check: OK with the key of mgmt/openai; a wrong key, an unreachable server and a missing model are said plainly', async () => {
    const ok = await server.api('/terraform/v1/ai/transcript/check', {});
    assert.equal(ok.status, 200, JSON.stringify(ok));
    assert.equal(ok.data, null);

    const bad = await server.api('/terraform/v1/ai/transcript/check', { secretKey: 'sk-wrong-key-9999' });
    assert.equal(bad.status, 400);
    assert.match(bad.message ?? '', /refused the API key \(401: Incorrect API key provided: sk-\*\*\*9999/);

    const port = await freePort();
    const down = await server.api('/terraform/v1/ai/transcript/check', { baseURL: `http://127.0.0.1:${port}/v1` });
    assert.equal(down.status, 400);
    assert.match(down.message ?? '', new RegExp(`cannot reach the AI server at http://127.0.0.1:${port}/v1 .*ECONNREFUSED`));

    const model = await server.api('/terraform/v1/ai/transcript/check', { model: 'whisper-9' });
    assert.equal(model.status, 400);
    assert.match(model.message ?? '', /has no model whisper-9 \(404: The model 'whisper-9' does not exist/);

    const q = await server.api<{ config: { all: boolean; overlayEnabled: boolean }; task: { uuid: string } }>('/terraform/v1/ai/transcript/query', {});
    assert.equal(q.status, 200);
    assert.equal(q.data.config.all, false);
    assert.equal(q.data.config.overlayEnabled, true);
    assert.match(q.data.task.uuid, /^[0-9a-f-]{36}$/);
  });

  test('speech of a live stream becomes text with times, as WebVTT hls.js shows; the stand-in down -> retries, back -> catches up', async () => {
    const name = randomName('asr');
    publishSpeech(server.publishUrl(name));
    const a = await server.api<{ uuid: string }>('/terraform/v1/ai/transcript/apply', {
      all: true, stream: `live/${name}`, lang: 'en', segmentSeconds, overlayEnabled: true, webvttEnabled: true,
    });
    assert.equal(a.status, 200, JSON.stringify(a));
    const uuid = a.data.uuid;
    const fixed = async (): Promise<FixSeg[]> => {
      const f = await server.api<{ segments: FixSeg[] | null }>('/terraform/v1/ai/transcript/fix-queue', { uuid });
      const o = await server.api<{ segments: FixSeg[] | null }>('/terraform/v1/ai/transcript/overlay-queue', { uuid });
      return [...(o.data.segments ?? []), ...(f.data.segments ?? [])];
    };
    // About 2.5 loops of the sentences.
    const state = async (): Promise<string> => {
      const out: string[] = [];
      for (const v of ['query', 'live-queue', 'asr-queue', 'fix-queue']) out.push(`${v}: ${JSON.stringify((await server.api(`/terraform/v1/ai/transcript/${v}`, { uuid, stream: `live/${name}` })).data)}`);
      return out.join('\n');
    };
    const segs = await waitFor(async () => ((await fixed()).length >= 5 ? fixed() : null), 120000, '5 transcribed segments').catch(async (e: Error) => {
      throw new Error(`${e.message}\n${await state()}`);
    });
    const text = segs.map((s) => s.asr).join(' ');
    const heard = new Set(words(text));
    const expected = [...new Set(SENTENCES.flatMap(words))];
    const found = expected.filter((w) => heard.has(w));
    const recall = found.length / expected.length;
    console.log(`transcript: "${text}"; ${found.length}/${expected.length} words of the sentences heard (${Math.round(recall * 100)} %)`);
    assert.ok(recall >= 0.3, `too few words heard: ${found.join(' ')} in "${text}"`);
    for (const s of segs) {
      assert.equal(s.error, '');
      for (const c of s.asrs) {
        assert.ok(c.start >= s.start - 0.01 && c.end <= s.start + s.duration + 0.6 && c.end > c.start, `cue ${JSON.stringify(c)} outside segment ${s.start}+${s.duration}`);
      }
    }
    // Consecutive segments are contiguous on the stream's timeline.
    for (let i = 1; i < segs.length; i++) if (segs[i]!.seqno === segs[i - 1]!.seqno + 1) assert.ok(Math.abs(segs[i]!.start - (segs[i - 1]!.start + segs[i - 1]!.duration)) < 0.1);
    // What the stand-in got: whisper-1, en, WAV, the previous text as prompt.
    const reqs = standin.requests;
    assert.ok(reqs.length >= 5);
    assert.ok(reqs.every((r) => r.model === 'whisper-1' && r.language === 'en' && r.responseFormat === 'verbose_json' && r.fileName.endsWith('.wav')));
    assert.ok(reqs.every((r) => Math.abs(r.duration - segmentSeconds) < 0.5), reqs.map((r) => r.duration).join(','));
    assert.ok(reqs.slice(1).some((r, i) => r.prompt !== '' && r.prompt === reqs[i]!.text), 'the previous text goes as prompt');

    // WebVTT as HLS.
    const base = `${server.http}/terraform/v1/ai/transcript/hls/webvtt/${uuid}`;
    const master = await (await fetch(`${base}/index.m3u8`)).text();
    assert.match(master, /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Subtitle-EN",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="subtitles.m3u8"/);
    assert.match(master, new RegExp(`#EXT-X-STREAM-INF:BANDWIDTH=\\d+,SUBTITLES="subs"\\n/live/${name}.m3u8\\?hls_ctx=\\w+\\n`));
    const list = await (await fetch(`${base}/subtitles.m3u8`)).text();
    const vttUris = list.split('\n').filter((l) => l.endsWith('.vtt'));
    assert.ok(vttUris.length >= 5, list);
    let cues = 0;
    for (const u of vttUris) {
      const r = await fetch(`${base}/${u}`);
      assert.equal(r.headers.get('content-type'), 'text/vtt; charset=utf-8');
      const vtt = await r.text();
      assert.match(vtt, /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n/);
      cues += (vtt.match(/ --> /g) ?? []).length;
    }
    assert.ok(cues >= 3, `${cues} cues`);
    assert.equal((await fetch(`${base}/../x.vtt`)).status, 404);
    assert.equal((await fetch(`${server.http}/terraform/v1/ai/transcript/hls/webvtt/not-a-task/index.m3u8`)).status, 404);

    // hls.js in Chromium: the subtitle track's cues hold recognised words.
    browser = await launchBrowser();
    const page = await browser.newPage();
    const pages = await pageServer({
      '/': `<video id="v" muted autoplay></video><script src="/lib/hls.min.js"></script><script>
        window.errors = [];
        const v = document.getElementById('v');
        const hls = new Hls({ liveSyncDuration: 30, liveMaxLatencyDuration: 60 });
        window.log = [];
        hls.on(Hls.Events.ERROR, (_, d) => { window.log.push('error ' + d.details); if (d.fatal) window.errors.push(d.type + ':' + d.details); });
        for (const e of ['SUBTITLE_TRACKS_UPDATED', 'SUBTITLE_TRACK_LOADED', 'SUBTITLE_FRAG_PROCESSED', 'MANIFEST_PARSED', 'NON_NATIVE_TEXT_TRACKS_FOUND']) hls.on(Hls.Events[e], (_, d) => window.log.push(e + ' ' + (d && d.frag ? d.frag.sn + '@' + d.frag.start : '')));
        window.init = null;
        hls.on(Hls.Events.INIT_PTS_FOUND, (_, d) => { if (!window.init && d.frag.type === 'main') window.init = { pts: d.initPTS / d.timescale, start: d.frag.start }; });
        hls.loadSource(${JSON.stringify(`${base}/index.m3u8`)});
        hls.attachMedia(v);
        hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, () => { hls.subtitleTrack = 0; hls.subtitleDisplay = true; });
        window.cues = () => [...v.textTracks].flatMap((t) => { t.mode = t.mode === 'disabled' ? 'hidden' : t.mode; return [...(t.cues || [])].map((c) => ({ start: c.startTime, end: c.endTime, text: c.text })); });
        window.now = () => v.currentTime;
      </script>`,
    });
    try {
      await page.goto(`${pages.url}/`);
      const shown = await waitFor(async () => {
        const c = (await page.evaluate('window.cues()')) as { start: number; end: number; text: string }[];
        return c.length >= 2 ? c : null;
      }, 60000, 'hls.js text track cues').catch(async (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(await page.evaluate('[window.log, window.now(), document.getElementById("v").textTracks.length]'))}`);
      });
      const now = (await page.evaluate('window.now()')) as number;
      console.log(`hls.js cues: ${JSON.stringify(shown.slice(0, 4))}; video at ${now.toFixed(1)} s`);
      assert.ok(shown.some((c) => words(c.text).some((w) => heard.has(w))));
      // The cues sit on the video's timeline: hls.js puts a video frame of stream time t (s) at t - initPTS (its
      // initPTS already holds the first fragment's start), and so must the cues be.
      const init = (await page.evaluate('window.init')) as { pts: number; start: number };
      const all = (await fixed()).flatMap((s) => s.asrs);
      console.log(`hls.js initPTS ${init.pts} s at ${init.start} s; server cues ${JSON.stringify(all.slice(-4))}`);
      let matched = 0;
      for (const c of shown) {
        const same = all.filter((x) => x.text === c.text); // (a sentence comes back in each loop; old ones are disposed)
        if (same.length === 0) continue;
        matched++;
        assert.ok(same.some((m) => Math.abs(m.start - init.pts - c.start) < 0.05), `cue "${c.text}" at ${c.start} in hls.js, ${same.map((m) => m.start).join(' or ')} in the stream`);
      }
      assert.ok(matched >= 1);
      assert.deepEqual(await page.evaluate('window.errors'), []);
    } finally {
      await page.close();
      pages.server.close();
    }

    // The stand-in down: the task says why and retries; the live stream goes on.
    await standin.stop();
    const err = await waitFor(async () => {
      const q = await server.api<{ task: { error: string; state: string } }>('/terraform/v1/ai/transcript/query', { stream: `live/${name}` });
      return q.data.task.error ? q.data.task : null;
    }, 60000, 'the task to show the ASR error');
    assert.match(err.error, /cannot reach the AI server at http:\/\/127\.0\.0\.1:\d+\/v1 .*try \d of 5; next in \d+ s/);
    assert.equal(err.state, 'running');
    const asrq = await server.api<{ segments: FixSeg[] | null }>('/terraform/v1/ai/transcript/asr-queue', { uuid });
    assert.ok((asrq.data.segments ?? []).some((s) => s.tries >= 1 && /cannot reach/.test(s.error)), JSON.stringify(asrq.data));
    const m3u8 = await fetch(`${server.http}/live/${name}.m3u8`);
    assert.equal(m3u8.status, 200);
    const before = (await fixed()).at(-1)!.seqno;
    await standin.start();
    const caught = await waitFor(async () => {
      const s = await fixed();
      return s.some((x) => x.seqno > before && x.asr !== '') ? s : null;
    }, 90000, 'ASR to catch up after the stand-in is back');
    assert.ok(caught.length > 0);
    const q = await server.api<{ task: { error: string } }>('/terraform/v1/ai/transcript/query', { stream: `live/${name}` });
    assert.equal(q.data.task.error, '');

    // Off, then reset: the queues are emptied and the task gets a new uuid.
    assert.equal((await server.api('/terraform/v1/ai/transcript/reset', { uuid })).status, 400);
    await server.api('/terraform/v1/ai/transcript/apply', { all: false, stream: `live/${name}` });
    const r = await server.api<{ uuid: string }>('/terraform/v1/ai/transcript/reset', { uuid });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.notEqual(r.data.uuid, uuid);
    await sleep(10);
  });
});
