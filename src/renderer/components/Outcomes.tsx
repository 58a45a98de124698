import type { DeliveryProgress, FlushOutcome } from '../../shared/types.ts'
import { formatTime, plural } from '../format.ts'
import { href } from '../routes.ts'

// What Flush Queue and Retry now did, in words and in a colour that matches:
// green only when everything went out, amber when some still wait, red when
// nothing did; blue while attempts are still running.

type Tone = 'ok' | 'warning' | 'error' | 'info'

/** The tone of an outcome: all sent, some not, none sent, or not over yet. */
export function flushTone(o: FlushOutcome): Tone {
  if (o.waiting > 0) return 'info'
  if (o.deferred === 0 && o.bounced === 0) return 'ok'
  return o.sent === 0 ? 'error' : 'warning'
}

/** "27 sent, 0 still deferred"; while attempts run: "3 sent, 1 still deferred, 23 being tried". */
export function flushWords(o: FlushOutcome): string {
  const parts = [`${o.sent.toLocaleString('en-US')} sent`, `${o.deferred.toLocaleString('en-US')} still deferred`]
  if (o.bounced > 0) parts.push(`${o.bounced.toLocaleString('en-US')} bounced`)
  if (o.waiting > 0) parts.push(`${o.waiting.toLocaleString('en-US')} being tried`)
  return parts.join(', ')
}

export function FlushOutcomeNotice({ count, outcome }: { count: number; outcome: FlushOutcome | null }) {
  if (count === 0) return <p className="notice notice-ok">No message was waiting: nothing to retry.</p>
  if (!outcome) return <p className="notice notice-info">{plural(count, 'message')} due now: being tried.</p>
  const tone = flushTone(outcome)
  return (
    <p className={`notice notice-${tone}`}>
      Flush Queue: {flushWords(outcome)}.
      {tone !== 'ok' && tone !== 'info' && (
        <>
          {' '}
          <a href={href('/queue')}>See why in the Mail Queue</a>
        </>
      )}
    </p>
  )
}

const FINAL = new Set(['sent', 'deferred', 'bounced', 'expired'])

/** The outcome of one message's Retry now, from its delivery progress since the click. */
export function RetryNotice({ queueId, recipients, progress }: { queueId: string; recipients: number; progress: DeliveryProgress[] }) {
  const finals = new Map<string, DeliveryProgress>()
  for (const p of progress) if (FINAL.has(p.stage)) finals.set(p.recipient ?? '', p)
  const last = progress.at(-1)
  if (finals.size < Math.max(1, recipients)) {
    return <p className="notice notice-info">{last ? `${queueId} is being retried: ${last.detail}.` : `${queueId} is due now and being retried.`}</p>
  }
  const all = [...finals.values()]
  const deferred = all.find((p) => p.stage === 'deferred')
  const bounced = all.find((p) => p.stage === 'bounced' || p.stage === 'expired')
  if (!deferred && !bounced) return <p className="notice notice-ok">{queueId} sent{all.length === 1 && all[0]!.recipient ? ` to ${all[0]!.recipient}` : ''}.</p>
  const failed = (deferred ?? bounced)!
  const why = failed.explanation?.summary ?? failed.reply ?? ''
  const sent = all.filter((p) => p.stage === 'sent').length
  return (
    <p className={`notice ${sent > 0 ? 'notice-warning' : 'notice-error'}`}>
      {sent > 0 && `${queueId}: ${plural(sent, 'recipient')} sent; `}
      {deferred
        ? `${queueId} deferred again${why ? `: ${why}` : '.'}${deferred.nextAttemptAt ? ` Next attempt ${formatTime(deferred.nextAttemptAt)}.` : ''}`
        : `${queueId} bounced${why ? `: ${why}` : '.'}`}
    </p>
  )
}
