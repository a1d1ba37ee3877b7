// Prints the linker flags for libsrt for binding.gyp, or one line naming the
// Debian package to install when libsrt's headers are missing.
// Usage: node srt-config.mjs --libs | --check
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const SRT_HEADER = process.env.SRT_HEADER ?? '/usr/include/srt/srt.h';
export const MISSING_MESSAGE =
  'SRT: missing libsrt headers; install the Debian package libsrt-openssl-dev (apt-get install libsrt-openssl-dev)';

export function srtHeadersPresent() {
  return existsSync(SRT_HEADER);
}

function libs() {
  try {
    const out = execFileSync('pkg-config', ['--libs', 'srt'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (out.trim()) return out.trim();
  } catch {
    // no pkg-config or no srt.pc: fall back to the library name Debian uses
  }
  return '-lsrt';
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  if (!srtHeadersPresent()) {
    console.error(MISSING_MESSAGE);
    process.exit(1);
  }
  if (process.argv.includes('--libs')) console.log(libs());
}
