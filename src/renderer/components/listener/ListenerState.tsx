import type { ListenerStatus } from '../../../shared/types.ts'
import { formatCount } from '../../format.ts'

// The dashboard's line for local submission: off, where it listens and how
// many messages it took today, or why it cannot listen.

export function ListenerState({ listener }: { listener: ListenerStatus | undefined }) {
  if (!listener) return null
  return (
    <>
      <dt>Local submission</dt>
      {listener.state === 'off' && <dd>Off</dd>}
      {listener.state === 'listening' && (
        <dd className="clip" title={listener.addresses.join(', ')}>
          Listening on {listener.addresses.join(' and ')} · {formatCount(listener.receivedToday)} received today
          {listener.auth ? ' · AUTH required' : ''}
        </dd>
      )}
      {listener.state === 'error' && (
        <dd className="field-error" role="alert">
          {listener.message}
        </dd>
      )}
    </>
  )
}
