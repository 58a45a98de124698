import { describe, expect, it } from 'vitest'
import { fieldsOfMainCf, parseRelayhost, plannedMainCf, type MainCfValues } from '../../../src/main/postfix/settings/main-cf.ts'
import type { SettingsFields } from '../../../src/shared/settings.ts'
import { testSettings } from '../../helpers/engine.ts'

// The mapping between Edit Settings' fields and main.cf, without a Postfix:
// each parameter the admin wrote is kept while it still means what the form says.

const MAP = 'hash:/etc/postfix/smtp_console_sasl_passwd'

const mainCf = (over: Partial<MainCfValues> = {}): MainCfValues => ({
  relayhost: '[smtp.example.test]:587',
  smtp_tls_security_level: 'secure',
  smtp_tls_wrappermode: 'no',
  smtp_sasl_auth_enable: 'yes',
  smtp_sasl_password_maps: MAP,
  smtp_sasl_security_options: 'noplaintext, noanonymous',
  smtp_sasl_tls_security_options: 'noanonymous',
  myhostname: 'mail.example.test',
  ...over,
})

const form = (over: Partial<SettingsFields> = {}): SettingsFields =>
  testSettings({ hostname: 'mail.example.test', relayHost: 'smtp.example.test', relayPort: 587, useTls: true, tlsMode: 'starttls', useSasl: true, username: 'ops', ...over })

/** The parameters a save would change. */
const changed = (next: SettingsFields, current: MainCfValues) => {
  const planned = plannedMainCf(next, current, MAP)
  return Object.fromEntries(Object.entries(planned).filter(([k, v]) => current[k as keyof MainCfValues] !== v))
}

describe('main.cf and the form', () => {
  it('reads relayhost in its forms, a fallback list by its first host', () => {
    expect(parseRelayhost('[relay.example.test]:2525')).toEqual({ host: 'relay.example.test', port: 2525 })
    expect(parseRelayhost('relay.example.test')).toEqual({ host: 'relay.example.test', port: null })
    expect(parseRelayhost('[ipv6:2001:db8::1]:587')).toEqual({ host: '2001:db8::1', port: 587 })
    expect(parseRelayhost('[2001:db8::1]')).toEqual({ host: '2001:db8::1', port: null })
    expect(parseRelayhost('[a.example.test]:587, [b.example.test]:587')).toEqual({ host: 'a.example.test', port: 587 })
    expect(parseRelayhost('  ')).toEqual({ host: '', port: null })
  })

  it('reads the form back from what it writes', () => {
    for (const next of [form(), form({ tlsMode: 'implicit', relayPort: 465, verifyCertificate: false }), form({ useTls: false, relayPort: null, useSasl: false, allowPlainAuth: true }), form({ relayHost: '', relayPort: null, useSasl: false })]) {
      const planned = plannedMainCf(next, mainCf({ relayhost: '', smtp_tls_security_level: '', smtp_sasl_auth_enable: 'no' }), MAP)
      const read = fieldsOfMainCf(planned, next)
      expect(read).toEqual({ relayHost: next.relayHost, relayPort: next.relayPort, useTls: next.useTls, tlsMode: next.tlsMode, verifyCertificate: next.verifyCertificate, useSasl: next.useSasl, allowPlainAuth: next.useSasl ? next.allowPlainAuth : false, hostname: next.hostname })
    }
  })

  it('changes nothing when main.cf already means what the form says', () => {
    expect(changed(form(), mainCf())).toEqual({})
    expect(changed(form(), mainCf({ relayhost: 'SMTP.example.test:587', smtp_tls_security_level: 'verify', smtp_tls_wrappermode: '' }))).toEqual({})
    // The admin's none stays none under Use TLS off, which reads as off too.
    expect(changed(form({ useTls: false }), mainCf({ smtp_tls_security_level: 'none' }))).toEqual({})
    expect(changed(form({ hostname: 'mail.example.test.' }), mainCf())).toEqual({})
  })

  it('writes each change in the console’s own form', () => {
    expect(changed(form({ relayPort: null }), mainCf())).toEqual({})
    expect(changed(form({ relayPort: 25 }), mainCf())).toEqual({ relayhost: '[smtp.example.test]' })
    expect(changed(form({ useTls: false }), mainCf())).toEqual({ smtp_tls_security_level: 'may' })
    expect(changed(form({ verifyCertificate: false }), mainCf())).toEqual({ smtp_tls_security_level: 'encrypt' })
    expect(changed(form({ tlsMode: 'auto', relayPort: 465 }), mainCf())).toEqual({ relayhost: '[smtp.example.test]:465', smtp_tls_wrappermode: 'yes' })
    expect(changed(form({ relayHost: '', relayPort: null, useSasl: false }), mainCf())).toEqual({ relayhost: '', smtp_sasl_auth_enable: 'no' })
    // Direct delivery checks each MX host's certificate against its name (verify), not the relay's as written (secure).
    expect(changed(form({ relayHost: '', relayPort: null, useSasl: false }), mainCf({ smtp_tls_security_level: 'may' }))).toEqual({ relayhost: '', smtp_tls_security_level: 'verify', smtp_sasl_auth_enable: 'no' })
    expect(changed(form({ allowPlainAuth: true }), mainCf({ smtp_sasl_password_maps: 'hash:/etc/postfix/sasl_passwd', smtp_sasl_tls_security_options: 'noplaintext, noanonymous' }))).toEqual({
      smtp_sasl_password_maps: MAP,
      smtp_sasl_security_options: 'noanonymous',
      smtp_sasl_tls_security_options: 'noanonymous',
    })
  })
})
