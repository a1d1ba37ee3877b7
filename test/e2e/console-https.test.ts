// The console's HTTPS page in headless Chromium against the real server and a real ACME CA (pebble): the
// self-signed certificate at first, Let's Encrypt for a domain (the page shows the new certificate), a
// challenge the CA cannot reach (the reason in plain words, the old certificate stays), a bad upload refused
// with the server's message, both languages with no missing key, 390 px wide. Then WHIP over HTTPS: Chromium,
// trusting that certificate and resolving the test domain to 127.0.0.1, opens the console at
// https://console.test:<HTTPS_PORT>/streaming and publishes its fake camera. Screenshots: .test-tmp/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { waitFor, randomName, type Proc, type TestServer } from './helpers.js';
import { launchBrowser } from './browser.js';
import { pebbleMissing, startChallTestSrv, startServerWithPebble, type ChallTestSrv } from './pebble.js';

const root = new URL('../../../', import.meta.url).pathname;
const shots = join(root, '.test-tmp/screenshots');
const skip = pebbleMissing();
const DOMAIN = 'console.test';
const procs: Proc[] = [];
const browsers: Browser[] = [];
let dns: ChallTestSrv;
let server: TestServer;
let token = '';
const errors: string[] = [];

function watch(p: Page): Page {
  p.on('console', (m) => {
    // The page's own failing calls (a refused upload, a failed request) are answered 4xx/5xx on purpose.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`${p.url()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`));
  return p;
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function loggedIn(p: Page, origin: string, lang = 'en'): Promise<void> {
  await p.goto(`${origin}/login`);
  await p.evaluate(([t, l]) => {
    localStorage.setItem('srs-node.session', JSON.stringify({ token: t, expireAt: '' }));
    localStorage.setItem('srs-node.lang', l!);
  }, [token, lang]);
}

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  dns = await startChallTestSrv();
  procs.push(dns.proc);
  // CANDIDATE: the WHIP answer's ICE candidate (the page's host is a test domain, not an address).
  const r = await startServerWithPebble(dns, { CANDIDATE: '127.0.0.1' });
  procs.push(r.pebble.proc);
  server = r.server;
  const init = await fetch(`${server.http}/terraform/v1/mgmt/init`, { method: 'POST', body: JSON.stringify({ password: 'Correct-Horse-9' }) });
  token = ((await init.json()) as { data: { token: string } }).data.token;
  assert.ok(token);
});

after(async () => {
  for (const b of browsers) await b.close();
  await server?.close();
  for (const p of procs) p.kill();
});

test("HTTPS page: self-signed, then Let's Encrypt in one click, a failure in plain words, a bad upload refused; en and zh", { skip, timeout: 180000 }, async () => {
  const browser = await launchBrowser();
  browsers.push(browser);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = watch(await ctx.newPage());
  await loggedIn(page, server.http);
  await page.goto(`${server.http}/https`);
  await page.getByTestId('nav-https').waitFor();
  await waitFor(async () => (await page.getByTestId('cert-source').textContent()) === 'Self-signed', 10000, 'the self-signed badge').catch(async (e: Error) => {
    await shot(page, 'https-debug');
    throw new Error(`${e.message}: ${page.url()} ${(await page.locator('body').innerText()).slice(0, 500)} ${errors.join('; ')}`);
  });
  assert.equal(await page.getByTestId('cert-domains').innerText(), 'localhost, 127.0.0.1');

  await page.getByTestId('le-domain').fill(DOMAIN);
  await page.getByTestId('le-request').click();
  await page.getByTestId('le-ok').waitFor({ timeout: 60000 });
  await waitFor(async () => (await page.getByTestId('cert-source').textContent()) === "Let's Encrypt", 10000, "the Let's Encrypt badge");
  assert.equal(await page.getByTestId('cert-domains').innerText(), DOMAIN);
  assert.match(await page.getByTestId('cert-issuer').innerText(), /Pebble Intermediate/);
  assert.match(await page.getByTestId('https-msg').innerText(), /A certificate for console\.test is in use/);
  await shot(page, 'https-letsencrypt-en');

  // The CA cannot reach the challenge: the page says so and what to check; the certificate stays.
  await dns.setA('unreachable.test', ['127.0.0.2']);
  await page.getByTestId('le-domain').fill('unreachable.test');
  await page.getByTestId('le-request').click();
  const err = page.getByTestId('le-error');
  await err.waitFor({ timeout: 60000 });
  const text = await err.innerText();
  assert.match(text, /Let's Encrypt could not reach port 80 of this server/);
  assert.match(text, /check that unreachable\.test points to this server and that port 80 reaches this server/);
  assert.match(text, /The certificate in use did not change/);
  assert.equal(await page.getByTestId('cert-domains').innerText(), DOMAIN);
  assert.equal(await page.getByTestId('https-msg').count(), 0, 'the reason shows once, under Let\'s Encrypt');
  await shot(page, 'https-failure-en');
  // A name the CA would refuse is refused at once, with what to give instead.
  await page.getByTestId('le-domain').fill('http://10.0.0.1:2022');
  await page.getByTestId('le-request').click();
  await page.getByTestId('https-msg').waitFor();
  assert.match(await page.getByTestId('https-msg').innerText(), /is not a domain name .* give a name like live\.example\.com/);
  await page.getByTestId('https-msg').getByRole('button').click();

  // A bad upload: the server's message, nothing changes.
  await page.getByTestId('ssl-key').fill('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----');
  await page.getByTestId('ssl-crt').fill('not a certificate');
  await page.getByTestId('ssl-upload').click();
  await page.getByTestId('ssl-msg').waitFor();
  assert.match(await page.getByTestId('ssl-msg').innerText(), /not a PEM private key/);
  assert.equal(await page.getByTestId('cert-source').textContent(), "Let's Encrypt");
  await shot(page, 'https-upload-error-en');

  // Chinese: every string translated (no raw key shows), and the page fits a phone.
  await page.evaluate(() => localStorage.setItem('srs-node.lang', 'zh'));
  await page.reload();
  await page.getByTestId('le-error').waitFor();
  const body = await page.locator('body').innerText();
  assert.match(body, /当前证书/);
  assert.match(body, /Let's Encrypt 无法访问本服务器的 80 端口/);
  assert.doesNotMatch(body, /https\.[a-zA-Z]/, 'no untranslated key');
  assert.deepEqual(await page.evaluate(() => (window as unknown as { __missingKeys?: string[] }).__missingKeys ?? []), []);
  await shot(page, 'https-zh');
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `the page is ${overflow} px wider than a 390 px screen`);
  const clipped = await page.getByTestId('le-error').evaluate((e) => e.scrollWidth - e.clientWidth);
  assert.ok(clipped <= 1, `the error is ${clipped} px wider than its box`);
  await shot(page, 'https-390-zh');
  await page.evaluate(() => localStorage.setItem('srs-node.lang', 'en'));
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('WHIP over HTTPS: Chromium trusting the Let\'s Encrypt (pebble) certificate publishes its fake camera from https://console.test', { skip, timeout: 120000 }, async () => {
  const q = (await server.api<{ crt: string; domain: string }>('/terraform/v1/mgmt/cert/query')).data;
  assert.equal(q.domain, DOMAIN, 'the previous test got the certificate');
  // Chromium trusts exactly this certificate's key, as it would trust a CA-issued one.
  const leaf = new X509Certificate(q.crt);
  const spki = createHash('sha256').update(leaf.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  const browser = await launchBrowser([`--host-resolver-rules=MAP ${DOMAIN} 127.0.0.1`, `--ignore-certificate-errors-spki-list=${spki}`]);
  browsers.push(browser);
  const origin = `https://${DOMAIN}:${server.app.httpsPort}`;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await ctx.grantPermissions(['camera', 'microphone'], { origin });
  const page = watch(await ctx.newPage());
  await loggedIn(page, origin);
  assert.equal(await page.evaluate(() => window.isSecureContext), true, 'the console over HTTPS is a secure context');
  const name = randomName('whips');
  await page.goto(`${origin}/streaming`);
  await page.getByTestId('stream-name').fill(name);
  await page.getByTestId('current-secret').waitFor();
  await page.getByTestId('tab-whip').click();
  await page.getByTestId('whip-start').click();
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.video), 30000, 'the WHIP publish over HTTPS');
  await shot(page, 'https-whip-en');
  await page.getByTestId('whip-stop').click();
  await waitFor(() => !server.app.hub.list().find((s) => s.url.stream === name && s.active), 15000, 'the WHIP publish to end');
  assert.deepEqual(errors, []);
  await ctx.close();
});
