import { useLayoutEffect, useState } from 'react'
import { SASL_WITHOUT_TLS_NOTE, type EffectiveTls } from '../../shared/settings.ts'
import { QUEUE_STATES, type Status } from '../../shared/types.ts'
import { Badge } from '../components/Cells.tsx'
import { FirstRun } from '../components/FirstRun.tsx'
import { HealthLine } from '../components/HealthLine.tsx'
import { MessageDialog } from '../components/MessageDialog.tsx'
import { ErrorNotice } from '../components/Notices.tsx'
import { EventsTable, MailLogTable, QueueTable } from '../components/Tables.tsx'
import { ListenerState } from '../components/listener/ListenerState.tsx'
import { SystemsSummary } from '../components/systems/SystemsSummary.tsx'
import { formatCount, formatTime } from '../format.ts'
import { href } from '../routes.ts'
import { useSlice, useStores } from '../stores/index.ts'

// The SMTP Dashboard: the configuration at a glance and the state of the
// queue, then the most recent Mail Queue, Mail Log and Logs entries.

export const TLS_LABELS: Record<EffectiveTls, string> = {
  none: 'Off',
  starttls: 'STARTTLS',
  implicit: 'Implicit TLS',
  opportunistic: 'STARTTLS when offered',
}

export const KEYFILE_WARNING = 'The password is protected by a key file beside the data, weaker than the OS keychain.'

/** Shown for as long as certificates go unchecked, here and in Edit Settings. */
export const NO_VERIFY_WARNING =
  'Verify certificate is off: server certificates are not checked, so a machine on the network path could pose as the relay and read the mail and the Password. Give the relay’s CA certificate instead (Edit Settings, Advanced).'

/** Shown for as long as the password may cross the network in clear. */
export const PLAIN_AUTH_WARNING =
  'Allow password without TLS (unsafe) is on: a relay that offers no STARTTLS gets the Username and Password in clear, readable by anyone on the network path.'

export function DashboardPage() {
  const { status, queue, mailLog, events } = useStores()
  const statusState = useSlice(status, (s) => s)
  const queueState = useSlice(queue, (s) => s)
  const mailLogState = useSlice(mailLog, (s) => s)
  const eventsState = useSlice(events, (s) => s)
  const [opened, setOpened] = useState<string | null>(null)

  // A layout effect asks for the data before the first paint rather than after it: the dashboard is the first page seen.
  useLayoutEffect(() => {
    const offs = [status.getState().watch(), queue.getState().watch('recent'), mailLog.getState().watch('recent'), events.getState().watch('recent')]
    void status.getState().load()
    void queue.getState().loadRecent()
    void mailLog.getState().loadRecent()
    void events.getState().loadRecent()
    return () => offs.forEach((off) => off())
  }, [status, queue, mailLog, events])

  const s = statusState.status
  // Without the token every read is refused alike: say it once, not under each of the four sections.
  if (!s && statusState.error?.code === 'forbidden') {
    return <ErrorNotice error={statusState.error} title="This page may not use the console." />
  }
  return (
    <>
      <ErrorNotice error={statusState.error} title="The status could not be read." />
      {s && <HealthLine health={s.health} />}
      <SystemsSummary />
      {s && <FirstRun status={s} />}
      {s?.settingsProblem && (
        <div className="notice notice-error" role="alert">
          <strong>The settings file is damaged. </strong>
          {s.settingsProblem.message} <a href={href('/settings')}>Open Edit Settings</a>
        </div>
      )}
      {s?.storageProblem && (
        <div className="notice notice-error" role="alert">
          <strong>The queue cannot be written. </strong>
          {s.storageProblem}
        </div>
      )}
      {s && <SettingsWarnings status={s} />}
      {s && <Glance status={s} />}
      {opened && <MessageDialog queueId={opened} onClose={() => setOpened(null)} />}

      <section aria-labelledby="dash-queue" className="dash-section">
        <div className="section-head">
          <h2 id="dash-queue">Mail Queue</h2>
          <a href={href('/queue')}>See all queued messages</a>
        </div>
        <ErrorNotice error={queueState.recentError} />
        {queueState.recent && (
          <QueueTable entries={queueState.recent} caption="Most recent Mail Queue entries" onOpen={setOpened} empty="The queue is empty. Messages waiting to be sent appear here." />
        )}
      </section>

      <section aria-labelledby="dash-maillog" className="dash-section">
        <div className="section-head">
          <h2 id="dash-maillog">Mail Log</h2>
          <a href={href('/mail-log')}>See the whole log of sent messages</a>
        </div>
        <ErrorNotice error={mailLogState.recentError} />
        {mailLogState.recent && (
          <MailLogTable entries={mailLogState.recent} caption="Most recent Mail Log entries" onOpen={setOpened} empty="No mail has been sent yet. Use Send Test Email to check the configuration." />
        )}
      </section>

      <section aria-labelledby="dash-logs" className="dash-section">
        <div className="section-head">
          <h2 id="dash-logs">Logs</h2>
          <a href={href('/logs')}>See all system events</a>
        </div>
        <ErrorNotice error={eventsState.recentError} />
        {eventsState.recent && (
          <EventsTable
            entries={eventsState.recent}
            caption="Most recent Logs entries"
            empty="No events yet. Settings changes, queue operations and delivery problems are recorded here."
          />
        )}
      </section>
    </>
  )
}

function Glance({ status: s }: { status: Status }) {
  return (
    <div className="glance">
      <section aria-labelledby="glance-config" className="card">
        <h2 id="glance-config">Configuration</h2>
        <dl className="facts">
          <dt>Delivery</dt>
          <dd>{s.settingsProblem ? 'Paused (settings file damaged)' : s.mode === 'direct' ? 'Direct delivery' : `Relay ${s.relayHost}:${s.relayPort}`}</dd>
          <dt>TLS</dt>
          <dd>{TLS_LABELS[s.tls]}</dd>
          <dt>SASL</dt>
          <dd>{s.sasl ? 'On' : 'Off'}</dd>
          <dt>From</dt>
          <dd className="clip" title={s.from}>
            {s.from}
          </dd>
          <dt>Hostname</dt>
          <dd className="clip" title={s.hostname}>
            {s.hostname}
          </dd>
          <ListenerState listener={s.listener} />
        </dl>
        <a href={href('/settings')}>Change the settings</a>
      </section>
      <section aria-labelledby="glance-queue" className="card">
        <h2 id="glance-queue">Queue</h2>
        <dl className="facts counts">
          {QUEUE_STATES.map((state) => (
            <div key={state} className="count">
              <dt>
                <Badge value={state} />
              </dt>
              <dd className="num">{formatCount(s.counts[state])}</dd>
            </div>
          ))}
          <div className="count">
            <dt>total</dt>
            <dd className="num">{formatCount(s.counts.total)}</dd>
          </div>
        </dl>
        <p>
          Last successful delivery: <strong className="time">{s.lastDeliveryAt === null ? 'none yet' : formatTime(s.lastDeliveryAt)}</strong>
        </p>
      </section>
    </div>
  )
}

/** The lasting warnings about what the saved settings weaken, each with the way to change them. */
function SettingsWarnings({ status: s }: { status: Status }) {
  return (
    <>
      {s.sasl && s.secretStorage.kind === 'keyfile' && (
        <div className="notice notice-warning" role="note" title={s.secretStorage.description}>
          {KEYFILE_WARNING}
        </div>
      )}
      {!s.verifyCertificate && (
        <div className="notice notice-warning" role="note">
          {NO_VERIFY_WARNING} <a href={href('/settings')}>Change the settings</a>
        </div>
      )}
      {s.sasl && s.mode === 'relay' && s.tls === 'opportunistic' && !s.allowPlainAuth && (
        <div className="notice notice-warning" role="note">
          {SASL_WITHOUT_TLS_NOTE} <a href={href('/settings')}>Change the settings</a>
        </div>
      )}
      {s.sasl && s.allowPlainAuth && (
        <div className="notice notice-warning" role="note">
          {PLAIN_AUTH_WARNING} <a href={href('/settings')}>Change the settings</a>
        </div>
      )}
    </>
  )
}
