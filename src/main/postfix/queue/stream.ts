import { spawn } from 'node:child_process'
import { LocalRunner } from '../runner/local.ts'
import { RunnerError, type Runner, type StreamingRunner, type StreamOptions } from '../runner/runner.ts'
import type { PostfixTools } from '../tools.ts'

// postqueue -j of 100,000 messages takes seconds to print; the Mail Queue's
// first page must not wait for its end. A Runner hands back the whole output,
// so the output is read as it comes: through the runner's own `stream` when it
// has one (a remote runner can offer it), by a child process of ours for the
// Postfix on this computer, else all at once as a last resort.

export type { StreamingRunner, StreamOptions } from '../runner/runner.ts'

function canStream(runner: Runner): runner is StreamingRunner {
  return typeof (runner as Partial<StreamingRunner>).stream === 'function'
}

const POSTQUEUE = '/usr/sbin/postqueue'
const DEFAULT_TIMEOUT_MS = 10 * 60_000

/** Runs `postqueue ARGS` on the instance, giving its standard output to onData as it comes; resolves with its exit. */
export async function streamPostqueue(tools: PostfixTools, args: readonly string[], onData: (chunk: Buffer) => void, options: StreamOptions = {}): Promise<{ code: number | null; stderr: string }> {
  const argv = [...(tools.configDir ? ['-c', tools.configDir] : []), ...args]
  const runner = tools.runner
  if (canStream(runner)) return runner.stream(POSTQUEUE, argv, onData, options)
  if (runner instanceof LocalRunner) return spawnLocal(POSTQUEUE, argv, onData, options)
  const r = await tools.run('postqueue', args, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {})
  if (!options.signal?.aborted) onData(r.stdout)
  return { code: r.code, stderr: r.stderr }
}

/** postqueue runs as any user (it is setgid postdrop), so no sudo: a child process whose output is read as it comes. */
function spawnLocal(program: string, args: string[], onData: (chunk: Buffer) => void, options: StreamOptions): Promise<{ code: number | null; stderr: string }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    const abort = () => child.kill('SIGKILL')
    options.signal?.addEventListener('abort', abort, { once: true })
    child.stdout.on('data', (chunk: Buffer) => {
      if (!options.signal?.aborted) onData(chunk)
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk
    })
    const done = () => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', abort)
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      done()
      reject(err.code === 'ENOENT' ? new RunnerError('not-found', `${program} is not installed on this computer.`) : err)
    })
    child.once('close', (code) => {
      done()
      if (timedOut) return reject(new RunnerError('timeout', `${program} did not finish within ${Math.round(timeoutMs / 1000)} s on this computer.`))
      resolve({ code, stderr })
    })
  })
}
