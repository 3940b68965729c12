import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The dashboard is static files served by orgspace itself at `/`; it only talks to the same-origin /v1 API.
const root = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in the build the server hands out (the dev server, `npx vite web`, has its own).
    sourcemap: false,
  },
  server: {
    // `npx vite web` during development: the API runs on its default port beside it.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
})
