// The WordPress plugin (wordpress/srs-node-player): `php -l` on every PHP file, and its [srs_player] shortcode
// rendered by real PHP against a minimal stub of WordPress's functions: the iframe points at /players/ with the
// stream's query, and hostile attributes (quotes, tags, javascript: servers, huge sizes) come out escaped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
const pluginDir = join(root, 'wordpress', 'srs-node-player');
const plugin = join(pluginDir, 'srs-node-player.php');
const stub = join(root, 'test', 'fixtures', 'wordpress', 'stub.php');

function render(atts: Record<string, string>, option = 'https://video.example.com:2443/'): string {
  const r = spawnSync('php', [stub, plugin], { input: JSON.stringify({ atts, option }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(r.stderr, '');
  return r.stdout;
}

describe('WordPress plugin', () => {
  it('every PHP file passes php -l', () => {
    const files = readdirSync(pluginDir).filter((f) => f.endsWith('.php'));
    assert.ok(files.length > 0);
    for (const f of [...files.map((x) => join(pluginDir, x)), stub]) {
      const r = spawnSync('php', ['-l', f], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
    }
    // php -l does fail on a broken file (so the check above means something).
    const bad = spawnSync('php', ['-l'], { input: '<?php function (', encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
  });

  it('renders the player iframe for a stream', () => {
    assert.equal(
      render({ stream: 'cam1', type: 'flv', width: '800', height: '450' }),
      '<iframe src="https://video.example.com:2443/players/?app=live&#038;stream=cam1&#038;type=flv" width="800" height="450" title="live/cam1" allow="autoplay; fullscreen" allowfullscreen style="border:0"></iframe>',
    );
    assert.match(render({}), /src="https:\/\/video\.example\.com:2443\/players\/\?app=live&#038;stream=livestream&#038;type=hls" width="640" height="360"/);
  });

  it('escapes hostile attributes', () => {
    const html = render({ app: 'a"b', stream: '"><script>alert(1)</script>', type: 'x" onload="alert(1)', width: '9999999', height: '-5 onclick=x' });
    assert.doesNotMatch(html, /<script|onload=|onclick/);
    assert.match(html, /stream=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E&#038;type=hls"/);
    assert.match(html, /title="a&quot;b\/&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.match(html, /width="4096" height="1"/);
    assert.equal((html.match(/</g) ?? []).length, 2, `one iframe and nothing else: ${html}`);
  });

  it('refuses a server that is not http(s), and says what to set', () => {
    for (const server of ['javascript:alert(1)//', 'data:text/html,x', '']) {
      const html = render({ server }, '');
      assert.match(html, /^<!-- srs-node player: set the server URL in Settings/, server);
      assert.doesNotMatch(html, /iframe/);
    }
    assert.match(render({ server: 'http://other:2022' }, ''), /src="http:\/\/other:2022\/players\//);
  });
});
