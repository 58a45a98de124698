import type { MessageSource, MessageStory } from '../../../shared/types.ts'
import { FIELD_LABELS } from '../../../shared/labels.ts'
import type { MailLog } from '../logs/mail-log.ts'
import { QueueError } from '../queue/queue.ts'
import type { QueueView } from '../queue/queue-view.ts'
import type { SentSources } from '../queue/sent-sources.ts'

// One message as the Mail Log and the dashboard open it: from the queue while it waits, from the
// kept sources once it has left, its story always from the mail log by queue id.

const SOURCE_MAX = 1024 * 1024

export interface StoryParts {
  queueView: QueueView
  sentSources: SentSources
  mailLog: MailLog
  settings: { get(): { sourceRetentionDays: number; sourceRetentionBytes: number } }
}

export function messageStory(p: StoryParts, queueId: string): MessageStory {
  // Oldest first: the story reads from received to the final outcome.
  const story = p.mailLog.forQueueId(queueId, 500).reverse()
  if (p.queueView.has(queueId)) {
    const detail = p.queueView.get(queueId)
    const s = p.queueView.source(queueId, SOURCE_MAX)
    const source: MessageSource = { kind: 'kept', source: s.source, truncated: s.truncated, size: detail.size }
    return { queueId, inQueue: detail, sender: detail.sender, subject: detail.subject, messageId: detail.messageId, story, headers: headersOf(s.source), source }
  }
  const about = p.sentSources.about(queueId)
  if (!about && story.length === 0) throw new QueueError('not_found', `No message ${queueId} is in the queue or the Mail Log.`)
  const kept = p.sentSources.get(queueId, SOURCE_MAX)
  let source: MessageSource
  if (kept?.kept) source = { kind: 'kept', source: kept.source, truncated: kept.truncated, size: kept.size }
  else source = { kind: 'gone', at: kept ? kept.prunedAt : null, note: goneNote(p, kept ? kept.why : null, story.length > 0) }
  return {
    queueId,
    inQueue: null,
    sender: about?.sender ?? story[0]?.sender ?? null,
    subject: about?.subject ?? null,
    messageId: about?.messageId ?? null,
    story,
    headers: source.kind === 'kept' ? headersOf(source.source) : [],
    source,
  }
}

/** Why a message that left the queue cannot be opened, naming the setting that decides it. */
function goneNote(p: StoryParts, why: 'age' | 'size' | 'off' | null, logged: boolean): string {
  const s = p.settings.get()
  const days = `${FIELD_LABELS.sourceRetentionDays} (Advanced)`
  if (why === 'age') return `Its source was pruned: sent messages are kept ${s.sourceRetentionDays} day(s) (${days}).`
  if (why === 'size') return `Its source was pruned to keep the kept messages under ${Math.round(s.sourceRetentionBytes / 1024 / 1024)} MiB (${FIELD_LABELS.sourceRetentionBytes}, Advanced): the oldest go first.`
  if (why === 'off') return `Its source was not kept: ${days} was 0 when it left the queue.`
  return logged
    ? 'Its source is not kept: it left the queue before this console kept sent messages, or was deleted by the administrator.'
    : 'Its source is not kept.'
}

/** The header fields of a message, unfolded, up to its first blank line. */
export function headersOf(source: string): { name: string; value: string }[] {
  const end = source.search(/\r?\n\r?\n/)
  const head = end === -1 ? source : source.slice(0, end)
  const out: { name: string; value: string }[] = []
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1]!.value += ` ${line.trim()}`
    else {
      const colon = line.indexOf(':')
      if (colon > 0) out.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() })
    }
  }
  return out
}
