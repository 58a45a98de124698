import { href } from '../routes.ts'

// The seed's troubleshooting guidance, each point linked to where the admin checks or changes it.

const setting = (field: string) => href('/settings', { focus: field })

export function TroubleshootingPage() {
  return (
    <div className="troubleshooting">
      <p className="lead">
        If a test message does not arrive, work through these points. Send another test after each change with <a href={href('/send-test')}>the test email</a>.
      </p>
      <section aria-labelledby="ts-spam">
        <h2 id="ts-spam">Check spam folders</h2>
        <p>Verify messages are not being sent to the recipient’s spam or junk folder.</p>
      </section>
      <section aria-labelledby="ts-logs">
        <h2 id="ts-logs">Check the logs</h2>
        <p>
          Error messages can tell why a message failed, such as a warning about incorrect SMTP settings. Read the <a href={href('/logs')}>system events</a> on the
          Logs page, and the server replies in the <a href={href('/mail-log')}>log of delivery attempts</a> on the Mail Log page; deferred messages wait with their
          reason in the <a href={href('/queue')}>queue</a>.
        </p>
      </section>
      <section aria-labelledby="ts-firewall">
        <h2 id="ts-firewall">Verify firewall rules and network policies</h2>
        <p>
          Outgoing SMTP connections are commonly blocked by default. Make sure port 25, 587 or 465 — whichever your configuration uses, see{' '}
          <a href={setting('relayPort')}>the relay port setting</a> — is open and allowed; this may require contacting your service provider.
        </p>
      </section>
      <section aria-labelledby="ts-relay">
        <h2 id="ts-relay">Using a relay: confirm the relay settings</h2>
        <ul>
          <li>
            Some mail servers require explicit relay permission. Ensure the server allows this system to relay, typically with authentication (
            <a href={setting('useSasl')}>the SASL authorization setting</a>) or by allowing its IP address.
          </li>
          <li>
            Confirm the server address and port: <a href={setting('relayHost')}>the relay host setting</a> and <a href={setting('relayPort')}>the relay port setting</a>.
            Use the name or address the relaying server expects.
          </li>
          <li>
            Confirm <a href={setting('useTls')}>the TLS setting</a> matches what the relay requires; many servers require a TLS connection. Some use STARTTLS: the
            connection starts unencrypted on port 25 or 587 and encryption is negotiated after it is established. Port 465 uses implicit TLS from the start (the{' '}
            <a href={setting('tlsMode')}>TLS mode</a> in Advanced can force either).
          </li>
        </ul>
      </section>
      <section aria-labelledby="ts-direct">
        <h2 id="ts-direct">Sending direct: verify SPF, DMARC and reverse DNS records</h2>
        <p>
          If messages are marked as spam or fail to deliver, ensure the <a href={setting('hostname')}>hostname</a> resolves to this system, that its reverse DNS
          record points back to it, and that the domain of the <a href={setting('fromAddress')}>from address</a> has correct SPF and DMARC records. When these
          records do not match your system, messages can be taken for impersonation: rejected or flagged as suspicious, and repeated attempts can get your domain or
          IP address blacklisted.
        </p>
      </section>
    </div>
  )
}
