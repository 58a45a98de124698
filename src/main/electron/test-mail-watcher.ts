import type { ApiMethod, ApiResponse, Result } from '../../shared/api.ts'
import type { DeliveryProgress } from '../../shared/types.ts'

// A desktop notification when the test email the admin just sent leaves or
// bounces, so they can switch away while it is delivered. Progress events do not
// say which message is a test, so the watcher remembers the queue id that the
// last mail.sendTest through the window returned.

export interface DesktopNotice {
  title: string
  body: string
}

export interface TestMailWatcher {
  observe<M extends ApiMethod>(method: M, result: Result<ApiResponse<M>>): void
  onProgress(progress: DeliveryProgress): DesktopNotice | null
}

export function createTestMailWatcher(): TestMailWatcher {
  let watched: string | null = null
  return {
    observe(method, result) {
      if (method !== 'mail.sendTest' || !result.ok) return
      watched = (result.data as ApiResponse<'mail.sendTest'>).queueId
    },
    onProgress(progress) {
      if (watched === null || progress.queueId !== watched) return null
      if (progress.stage === 'sent') {
        watched = null
        const said = [progress.recipient && `To ${progress.recipient}`, progress.relay && `via ${progress.relay}`].filter(Boolean).join(' ')
        return { title: 'Test email sent', body: firstLine(said ? `${said}: ${progress.reply ?? progress.detail}` : progress.reply ?? progress.detail) }
      }
      if (progress.stage === 'bounced') {
        watched = null
        const cause = progress.explanation?.summary ?? progress.reply ?? progress.detail
        return { title: 'Test email bounced', body: firstLine([progress.recipient && `To ${progress.recipient}`, cause].filter(Boolean).join(': ')) }
      }
      return null
    },
  }
}

// Notification bodies are short on every platform; keep one line of a server reply.
function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? ''
  return line.length > 200 ? `${line.slice(0, 199)}…` : line
}
