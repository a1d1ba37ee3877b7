// Headless Debian Chromium driven by playwright-core, plus a tiny static server for test pages and the
// players from node_modules (hls.js, mpegts.js).
import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';


const root = new URL('../../../', import.meta.url).pathname;

export const CHROMIUM = '/usr/bin/chromium';

/** Launches Chromium; `extraArgs` add flags (e.g. a host-resolver rule, a certificate to trust). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}

/** Serves `pages` (path -> html) and /lib/<file> from the players' dist folders. */
export function pageServer(pages: Record<string, string>): Promise<{ url: string; server: Server }> {
  const libs: Record<string, string> = {
    'hls.min.js': join(root, 'node_modules/hls.js/dist/hls.min.js'),
    'mpegts.js': join(root, 'node_modules/mpegts.js/dist/mpegts.js'),
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/lib/') && libs[path.slice(5)]) {
      res.writeHead(200, { 'Content-Type': 'application/javascript' });
      res.end(readFileSync(libs[path.slice(5)]!));
      return;
    }
    const page = pages[path];
    if (page === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(page);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, server });
    });
  });
}
