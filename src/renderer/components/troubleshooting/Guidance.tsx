import { href } from '../../routes.ts'

// The seed's advice that no check can verify from this system: what happens
// at the recipient's mailbox and on the relay's side.

const setting = (field: string) => href('/settings', { focus: field })

export function Guidance() {
  return (
    <section className="guidance" aria-labelledby="ts-guidance">
      <h2 id="ts-guidance">What the checks cannot see from here</h2>
      <ul>
        <li>
          <strong>Spam folders.</strong> A message can arrive and still be filed as spam or junk: ask the recipient to look there, and to mark it as not spam.
        </li>
        <li>
          <strong>The relay’s own rules.</strong> Some mail servers let only known systems relay, by login (<a href={setting('useSasl')}>Use SASL Authorization</a>) or by
          this system’s IP address; the relay’s administrator can say which, and whether a limit or a filter on their side held the message.
        </li>
        <li>
          <strong>The logs.</strong> The server replies of each attempt are in the <a href={href('/mail-log')}>Mail Log</a>, deferred messages wait with their reason in
          the <a href={href('/queue')}>Mail Queue</a>, and the console’s own events are in <a href={href('/logs')}>Logs</a>. After a change, send a{' '}
          <a href={href('/send-test')}>test email</a>.
        </li>
      </ul>
    </section>
  )
}
