import { registerHooks } from 'node:module'

// Loaded with `node --import` before the built main: 'electron' resolves to the
// stand-in, so the real package (which would look for its binary) is never loaded.
// STANDIN_PLATFORM plays another operating system's process.platform.

const standIn = new URL('./electron.ts', import.meta.url).href

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'electron') return { url: standIn, shortCircuit: true }
    return nextResolve(specifier, context)
  },
})

if (process.env.STANDIN_PLATFORM) Object.defineProperty(process, 'platform', { value: process.env.STANDIN_PLATFORM })
