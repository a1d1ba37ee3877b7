// Vite build of the admin console into dist/; every text asset is also written as .br and .gz so the server
// sends it compressed without compressing per request.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

function precompress(): Plugin {
  return {
    name: 'precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else if (/\.(html|js|css|svg|json|txt)$/.test(name)) {
            const data = readFileSync(p);
            if (data.length < 512) continue;
            writeFileSync(`${p}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
            writeFileSync(`${p}.gz`, gzipSync(data, { level: 9 }));
          }
        }
      };
      walk(join(import.meta.dirname, 'dist'));
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [react(), precompress()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
