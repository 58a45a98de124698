import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// Three builds into out/: main (ESM, dependencies left in node_modules;
// index.js and the listener's thread, listener-thread.js),
// the preload (one CommonJS file: a sandboxed preload cannot load ES modules
// or anything but 'electron'), and the renderer from src/renderer/index.html.
// Paths are relative to the project root, where electron-vite runs.

export default defineConfig({
  main: {
    build: {
      outDir: resolve('out/main'),
      externalizeDeps: true,
      rolldownOptions: {
        // The listener's thread is a module of its own, loaded by a worker thread beside index.js.
        input: { index: resolve('src/main/electron/main.ts'), 'listener-thread': resolve('src/main/core/listener/listener-thread.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve('out/preload'),
      externalizeDeps: false,
      rolldownOptions: {
        input: { preload: resolve('src/main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    plugins: [react()],
    build: {
      outDir: resolve('out/renderer'),
      rolldownOptions: {
        input: { index: resolve('src/renderer/index.html') },
      },
    },
  },
})
