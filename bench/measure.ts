import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

// Small timing helpers shared by the benchmark's parts.

/** Milliseconds spent in `fn`, with the value it returned. */
export function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now()
  const value = fn()
  return { ms: performance.now() - start, value }
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Median ms of `runs` calls of `fn`, after a few unmeasured ones that warm the page cache and the JIT. */
export function medianMs(fn: () => unknown, runs = 25, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn()
  const samples: number[] = []
  for (let i = 0; i < runs; i++) samples.push(timed(fn).ms)
  return median(samples)
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))))
    })
  })
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`benchmark sanity check failed: ${what}`)
}

const cleanups: (() => void | Promise<void>)[] = []

/** Something to undo at the end of the run, or when it is interrupted: a temp dir, a server, a browser. */
export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn)
}

/** Undoes everything registered, newest first; a step that fails does not stop the others. */
export async function runCleanups(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn()
    } catch {
      // Already closed or removed; nothing more to undo.
    }
  }
}

/** Progress goes to stderr so that `--json` leaves stdout with one JSON object. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`)
}
