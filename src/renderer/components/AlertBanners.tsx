import type { Alert } from '../../shared/alerts.ts'
import { href } from '../routes.ts'
import { useSlice, useStores } from '../stores/index.ts'

// The engine's alerts as banners above every page (the desktop app shows them
// as notifications too), and the state of the event stream that brings them.

export const LOST_STREAM = 'The console lost its connection to the engine: alerts and live updates stop until it is back. It reconnects by itself; if the SMTP Console server was stopped, start it again.'
export const RESTORED_STREAM = 'Connected to the engine again: the pages are up to date.'

export function AlertBanners() {
  const { alerts } = useStores()
  const shown = useSlice(alerts, (s) => s.alerts)
  const connection = useSlice(alerts, (s) => s.connection)
  const { dismiss, setConnection } = alerts.getState()
  if (shown.length === 0 && connection === null) return null
  return (
    <section className="alert-banners" aria-label="Alerts">
      {connection === 'lost' && (
        <div className="notice notice-error alert-banner" role="alert">
          <p>
            <strong>Connection lost. </strong>
            {LOST_STREAM}
          </p>
        </div>
      )}
      {connection === 'restored' && (
        <div className="notice notice-ok alert-banner" role="status">
          <p>
            <strong>Connection restored. </strong>
            {RESTORED_STREAM}
          </p>
          <Dismiss what="Connection restored" onClick={() => setConnection(null)} />
        </div>
      )}
      {shown.map((alert) => (
        <Banner key={alert.id} alert={alert} onDismiss={() => dismiss(alert.id)} />
      ))}
    </section>
  )
}

const TONE: Record<Alert['severity'], string> = { info: 'notice-ok', warning: 'notice-warning', error: 'notice-error' }

function Banner({ alert, onDismiss }: { alert: Alert; onDismiss: () => void }) {
  const problem = alert.kind !== 'resolved'
  // A problem interrupts (role=alert); the all-clear waits its turn (role=status).
  return (
    <div className={`notice ${TONE[alert.severity]} alert-banner`} role={problem ? 'alert' : 'status'} data-kind={alert.kind}>
      <p>
        <strong>{alert.title}. </strong>
        {alert.body}
        {problem && (
          <>
            {' '}
            <a href={href('/queue')}>Open the Mail Queue</a>
          </>
        )}
      </p>
      <Dismiss what={alert.title} onClick={onDismiss} />
    </div>
  )
}

function Dismiss({ what, onClick }: { what: string; onClick: () => void }) {
  return (
    <button type="button" className="dismiss" aria-label={`Dismiss: ${what}`} onClick={onClick}>
      ×
    </button>
  )
}
