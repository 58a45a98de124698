import type { QueueState } from '../../../shared/types.ts'
import { PostfixError } from './errors.ts'
import type { PostfixTools } from '../tools.ts'

// The dashboard's four numbers from the queue directories themselves, as
// qshape and the admins' `find … | wc -l` do: a file per message, counted
// without reading one (showq would open all 100,000). The directories are
// the mail owner's alone, so find runs as root.

export type QueueCounts = Record<QueueState, number> & { total: number }

const DIRECTORIES: [string, QueueState][] = [
  ['incoming', 'queued'],
  ['maildrop', 'queued'],
  ['active', 'active'],
  ['deferred', 'deferred'],
  ['hold', 'hold'],
]

/** Counts the files under each queue directory of `queueDirectory` (postconf -h queue_directory). */
export async function queueDirectoryCounts(tools: PostfixTools, queueDirectory: string): Promise<QueueCounts> {
  const counts: QueueCounts = { queued: 0, active: 0, deferred: 0, hold: 0, total: 0 }
  const found = await Promise.all(
    DIRECTORIES.map(async ([dir, state]) => {
      const path = `${queueDirectory.replace(/\/+$/, '')}/${dir}`
      // One byte per file: 100,000 messages are 100 KB of output, not 100,000 names.
      const r = await tools.runner.run('find', [path, '-type', 'f', '-printf', '.'], { root: true, timeoutMs: 60_000 })
      if (r.code !== 0) {
        // A queue directory Postfix has not made yet (maildrop before the first sendmail) holds nothing.
        if (/No such file or directory/.test(r.stderr) && r.stdout.length === 0) return [state, 0] as const
        throw new PostfixError('internal', `Counting the messages in ${path} on ${tools.runner.where} failed: ${r.stderr.trim() || `exit code ${String(r.code)}`}`)
      }
      return [state, r.stdout.length] as const
    }),
  )
  for (const [state, n] of found) {
    counts[state] += n
    counts.total += n
  }
  return counts
}
