// The first run from another machine: the console opened through this machine's non-loopback IPv4 address
// asks for the one-time setup code, refuses a wrong one with the server's message, and accepts the code the
// server printed in its log. Skipped (with a message) when the machine has no non-loopback IPv4 address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer } from './helpers.js';
import { launchBrowser } from './browser.js';

const PASSWORD = 'Remote-Setup-42';

function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

const ip = lanAddress();
let server: TestServer;
let browser: Browser;
let page: Page;
const errors: string[] = [];

before(async () => {
  if (!ip) return;
  server = await startServer({ HOST: '0.0.0.0' }, { captureLogs: true });
  browser = await launchBrowser();
  page = await browser.newPage({ locale: 'en-US' });
  page.on('pageerror', (e) => errors.push(e.message));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('from a non-loopback address the console asks for the setup code, refuses a wrong one, accepts the logged one', { skip: ip ? false : 'this machine has no non-loopback IPv4 address' }, async () => {
  const base = `http://${ip}:${server.app.httpPort}`;
  const status = (await (await fetch(`${base}/terraform/v1/mgmt/init`)).json()) as { data: { init: boolean; needSetupCode: boolean } };
  assert.deepEqual(status.data, { init: false, needSetupCode: true });

  const sent: unknown[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/terraform/v1/mgmt/init')) sent.push(JSON.parse(r.postData() ?? '{}'));
  });
  await page.goto(`${base}/`);
  await page.waitForURL(/\/setup$/);
  await page.getByTestId('setup-code').waitFor({ timeout: 10000 });
  await page.getByTestId('setup-code').fill('AAAA-BBBB-CCCC');
  await page.getByTestId('new-password').fill(PASSWORD);
  await page.getByTestId('confirm-password').fill(PASSWORD);
  await page.getByTestId('set-password').click();
  await page.getByTestId('setup-error').waitFor({ timeout: 10000 });
  assert.match(await page.getByTestId('setup-error').innerText(), /wrong setup code: the server printed it in its log/);
  assert.deepEqual(sent[0], { password: PASSWORD, setupCode: 'AAAA-BBBB-CCCC' }, 'the console sends the field the server reads');

  const line = server.logs().find((l) => typeof l.setupCode === 'string');
  assert.ok(line, 'the server logged the setup code');
  await page.getByTestId('setup-code').fill(String(line.setupCode));
  await page.getByTestId('set-password').click();
  await page.waitForURL(/\/dashboard$/, { timeout: 10000 });
  assert.equal(((await (await fetch(`${base}/terraform/v1/mgmt/init`)).json()) as { data: { init: boolean } }).data.init, true);
  // the password works from there on
  const login = await fetch(`${base}/terraform/v1/mgmt/login`, { method: 'POST', body: JSON.stringify({ password: PASSWORD }) });
  assert.equal(login.status, 200);
  assert.deepEqual(errors, []);
});
