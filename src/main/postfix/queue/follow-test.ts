import type { DeliveryProgress } from '../../../shared/types.ts'
import type { LoggedOutcome, PostfixLogs } from '../logs/postfix-logs.ts'
import { explainReason } from './reason.ts'

// Send Test Email on a Postfix server, followed as the embedded engine's is:
// "queued" once Postfix took it, then each outcome its mail log gives for
// the message's queue id (sent, deferred with its reason, bounced, expired),
// as delivery.progress events. Each log line the index reads is looked at
// once; the following ends with a final outcome for every recipient, or
// after FOLLOW_MS (a deferral stays in Postfix's hands and in the Mail Queue).

export const FOLLOW_MS = 10 * 60_000
const LOOK_MS = 1000

const FINAL = new Set<LoggedOutcome['status']>(['sent', 'bounced', 'expired'])

export interface FollowOptions {
  logs: PostfixLogs
  emit(progress: DeliveryProgress): void
  /** Where the server is, for the words: "this computer" or "admin@mail1…". */
  where: string
  now: () => number
  followMs?: number
}

/** Follows one test message; returns what stops following it (the backend's close). */
export function followTestMail(queueId: string, recipients: readonly string[], options: FollowOptions): () => void {
  const { logs, emit, where, now } = options
  emit({ queueId, stage: 'queued', at: now(), detail: `Postfix on ${where} took the message as ${queueId}.` })
  const told = new Set<string>()
  const finished = new Set<string>()
  let stopped = false

  const look = (): void => {
    if (stopped) return
    for (const o of logs.outcomes(queueId)) {
      const key = `${o.recipient}\0${o.status}\0${o.at}`
      if (told.has(key)) continue
      told.add(key)
      const explanation = o.status === 'sent' ? null : explainReason(o.reply)
      emit({
        queueId,
        stage: o.status,
        at: o.at,
        detail: detailOf(o),
        recipient: o.recipient,
        reply: o.reply,
        ...(explanation ? { explanation } : {}),
      })
      if (FINAL.has(o.status)) finished.add(o.recipient.toLowerCase())
    }
    if (recipients.every((r) => finished.has(r.toLowerCase()))) stop()
  }

  // The index reads the log on its own timer and says when rows came; a slow look as well, in case.
  const off = logs.on('mailLog.appended', look)
  const timer = setInterval(look, LOOK_MS)
  timer.unref()
  const limit = setTimeout(stop, options.followMs ?? FOLLOW_MS)
  limit.unref()

  function stop(): void {
    if (stopped) return
    stopped = true
    off()
    clearInterval(timer)
    clearTimeout(limit)
  }
  return stop
}

function detailOf(o: LoggedOutcome): string {
  switch (o.status) {
    case 'sent':
      return `Delivered to ${o.recipient}: ${o.reply}`
    case 'deferred':
      return `Deferred for ${o.recipient}; Postfix tries again on its own schedule: ${o.reply}`
    case 'bounced':
      return `Bounced for ${o.recipient}: ${o.reply}`
    case 'expired':
      return `Returned to the sender for ${o.recipient}: it was in the queue longer than Postfix keeps mail.`
  }
}
