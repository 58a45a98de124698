import type { PostfixTools } from '../tools.ts'
import { PostfixError } from './errors.ts'

// The queue's actions through Postfix's own tools, never its files:
// postsuper -d / -h / -H (queue ids on standard input, or ALL),
// postqueue -i (one message now) and -f (everything now), postcat -q.

export type PostsuperAction = 'delete' | 'hold' | 'release'

const FLAG: Record<PostsuperAction, string> = { delete: '-d', hold: '-h', release: '-H' }
/** postsuper's closing line, on standard error: "postsuper: Deleted: 3 messages". */
const SUMMARY: Record<PostsuperAction, RegExp> = {
  delete: /Deleted: (\d+) messages?/,
  hold: /Placed on hold: (\d+) messages?/,
  release: /Released from hold: (\d+) messages?/,
}
/** Postfix's tools wait on the queue's locks; a large Delete Queue takes minutes, not hours. */
const BULK_TIMEOUT_MS = 30 * 60_000
const SOURCE_MAX = 1024 * 1024

function failed(tools: PostfixTools, command: string, stderr: string, code: number | null): PostfixError {
  const said = stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${String(code)}`
  return new PostfixError('internal', `${command} failed on ${tools.runner.where}: ${said}`)
}

/** postsuper on these queue ids (fed on standard input) or on ALL; how many messages it changed, by its own count. */
export async function postsuper(tools: PostfixTools, action: PostsuperAction, ids: readonly string[] | 'ALL'): Promise<number> {
  if (ids !== 'ALL' && ids.length === 0) return 0
  const args = [FLAG[action], ids === 'ALL' ? 'ALL' : '-']
  const r = await tools.run('postsuper', args, { timeoutMs: BULK_TIMEOUT_MS, ...(ids === 'ALL' ? {} : { input: `${ids.join('\n')}\n` }) })
  if (r.code !== 0) throw failed(tools, `postsuper ${args.join(' ')}`, r.stderr, r.code)
  return Number(SUMMARY[action].exec(r.stderr)?.[1] ?? 0)
}

/** `postqueue -i ID`: the message is tried now (it says nothing, found or not). */
export async function postqueueRetry(tools: PostfixTools, queueId: string): Promise<void> {
  const r = await tools.run('postqueue', ['-i', queueId])
  if (r.code !== 0) throw failed(tools, `postqueue -i ${queueId}`, r.stderr, r.code)
}

/** `postqueue -f`: every queued message is tried now. */
export async function postqueueFlush(tools: PostfixTools): Promise<void> {
  const r = await tools.run('postqueue', ['-f'], { timeoutMs: BULK_TIMEOUT_MS })
  if (r.code !== 0) throw failed(tools, 'postqueue -f', r.stderr, r.code)
}

/** One queued message as postcat prints it (`-h` headers, `-b` body), cut at 1 MiB; not_found once it has left the queue. */
export async function postcat(tools: PostfixTools, queueId: string, parts: '-bh' | '-h' = '-bh'): Promise<{ source: string; truncated: boolean }> {
  const r = await tools.run('postcat', [parts, '-q', queueId])
  if (r.code !== 0) {
    if (/No such file or directory/i.test(r.stderr)) throw new PostfixError('not_found', `Message ${queueId} is not in the queue (it may have been delivered or deleted).`)
    throw failed(tools, `postcat ${parts} -q ${queueId}`, r.stderr, r.code)
  }
  const truncated = r.stdout.length > SOURCE_MAX
  return { source: r.stdout.subarray(0, SOURCE_MAX).toString('utf8'), truncated }
}
