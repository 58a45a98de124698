import { describe, expect, it } from 'vitest'
import { parseRequest, type ApiError } from '../../src/shared/api.ts'
import { DEFAULT_SETTINGS, effectiveRelayPort, effectiveTls, type SettingsFields } from '../../src/shared/settings.ts'

// The settings form as the admin fills it in: every broken rule comes back
// under the field to fix, in words that say what is expected.

const valid = (over: Partial<SettingsFields> = {}): SettingsFields => ({
  ...DEFAULT_SETTINGS,
  hostname: 'console.example.test',
  fromName: 'Ops Console',
  fromAddress: 'alerts@example.test',
  relayHost: 'smtp.example.test',
  relayPort: 587,
  useTls: true,
  ...over,
})

/** Parses an update as both adapters do; returns the error, failing the test when the update was accepted. */
function rejected(over: Record<string, unknown>, password?: string | null): ApiError {
  const result = parseRequest('settings.update', { settings: { ...valid(), ...over }, ...(password !== undefined ? { password } : {}) })
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(over)}`)
  expect(result.error.code).toBe('invalid_request')
  return result.error
}

function accepted(over: Partial<SettingsFields>): SettingsFields {
  const result = parseRequest('settings.update', { settings: valid(over) })
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.error)}`)
  return result.data.settings
}

describe('settings.update: one message per invalid field', () => {
  it('accepts the valid baseline and the defaults', () => {
    expect(accepted({})).toEqual(valid())
    expect(parseRequest('settings.update', { settings: DEFAULT_SETTINGS }).ok).toBe(true)
  })

  it.each(['mail', 'mail..example.com', '-a.example.com', 'a-.example.com', 'a.123', ''])('Hostname %j is not a fully qualified domain name', (hostname) => {
    const error = rejected({ hostname })
    expect(Object.keys(error.fields!)).toEqual(['hostname'])
    expect(error.fields!.hostname).toMatch(/Hostname/)
    expect(error.fields!.hostname).toMatch(/fully qualified domain name/)
    // A single broken field: the form's headline is that field's message.
    expect(error.message).toBe(error.fields!.hostname)
  })

  it.each(['no-at', 'a@b', 'a b@example.com', '@example.com', 'a@', 'a@@example.com'])('From Address %j is not a mailbox', (fromAddress) => {
    const error = rejected({ fromAddress })
    expect(Object.keys(error.fields!)).toEqual(['fromAddress'])
    expect(error.fields!.fromAddress).toMatch(/From Address must be a valid email address/)
  })

  // nodemailer's SMTP connection refuses < > CR LF anywhere in an envelope address (smtp-connection _setEnvelope).
  it.each(['"a> RCPT TO:<x@y>"@example.net', '"a<b"@example.net', '"a\\>"@example.net', '"<"@example.net'])(
    'From Address %j is refused at input: it could never be sent',
    (fromAddress) => {
      const error = rejected({ fromAddress })
      expect(Object.keys(error.fields!)).toEqual(['fromAddress'])
      expect(error.fields!.fromAddress).toMatch(/From Address must be a valid email address/)
    },
  )

  it('a quoted local part nodemailer sends is still accepted', () => {
    expect(accepted({ fromAddress: '"ops team"@example.test' }).fromAddress).toBe('"ops team"@example.test')
  })

  it('accepts mailboxes an admin really uses', () => {
    expect(accepted({ fromAddress: 'no-reply+alerts@mail.example.test' }).fromAddress).toBe('no-reply+alerts@mail.example.test')
    expect(accepted({ fromAddress: '  ops@example.test ' }).fromAddress).toBe('ops@example.test')
  })

  it.each([
    ['fromName', 'Ops\r\nBcc: victim@example.com', /From Name must be on one line/],
    ['fromName', 'Ops\nConsole', /From Name must be on one line/],
    ['hostname', 'mail.example.com\r\nX-Injected: 1', /Hostname must be on one line/],
    ['username', 'user\nname', /Username must be on one line/],
    ['relayHost', 'smtp.example.com\r\nRCPT TO:<x@example.com>', /Relay Host must be on one line/],
    ['fromAddress', 'a@example.com\r\nBcc: victim@example.com', /From Address must be on one line/],
  ])('a line break in %s is refused (header injection)', (field, value, message) => {
    const error = rejected({ [field]: value })
    expect(error.fields![field]).toMatch(message)
  })

  it('a line break in the password is refused under password', () => {
    const error = rejected({ useSasl: true, username: 'relayuser' }, 'secret\r\nQUIT')
    expect(Object.keys(error.fields!)).toEqual(['password'])
    expect(error.fields!.password).toMatch(/one line/)
  })

  // NUL is AUTH PLAIN's separator: one in the Username or Password would reframe the login.
  it.each([
    ['fromName', 'Ops\0Console', /From Name must not contain control characters/],
    ['fromName', 'Ops\tConsole', /From Name must not contain control characters/],
    ['fromName', 'Ops\x1b[31mConsole', /From Name must not contain control characters/],
    ['fromName', 'Ops\x7f', /From Name must not contain control characters/],
    ['fromName', 'Ops\x85', /From Name must not contain control characters/],
    ['username', 'relayuser\0admin', /Username must not contain control characters/],
    ['username', 'relay\buser', /Username must not contain control characters/],
  ])('a control character in %s is refused: %j', (field, value, message) => {
    const error = rejected({ [field]: value, ...(field === 'username' ? { useSasl: true } : {}) }, field === 'username' ? 'pw' : undefined)
    expect(Object.keys(error.fields!)).toEqual([field])
    expect(error.fields![field]).toMatch(message)
  })

  it.each(['secret\0admin\0other', 'sec\tret', 'secret\x7f'])('a control character in the password is refused under password: %j', (password) => {
    const error = rejected({ useSasl: true, username: 'relayuser' }, password)
    expect(Object.keys(error.fields!)).toEqual(['password'])
    expect(error.fields!.password).toMatch(/Password must not contain control characters/)
  })

  it('names and credentials in any script, with spaces and punctuation, are fine', () => {
    expect(accepted({ fromName: 'Équipe « Ops » — 運用 #2' }).fromName).toBe('Équipe « Ops » — 運用 #2')
    const result = parseRequest('settings.update', { settings: valid({ useSasl: true, username: 'relay user@example.test' }), password: 'pä ss wörd "#$%&\'()*+,-./' })
    expect(result.ok).toBe(true)
  })

  it.each(['bad host!', 'smtp_relay.example.com', '999.1.1.1', '1.2.3', '256.0.0.1', 'fe80::1::2', '[::1', '12345::'])('Relay Host %j is neither a host name nor an IP address', (relayHost) => {
    // '999.1.1.1' has the shape of a host name of numeric labels, but a numeric
    // top label is not a host name, and 999 is no IPv4 octet: refused either way.
    const error = rejected({ relayHost })
    expect(Object.keys(error.fields!)).toEqual(['relayHost'])
    expect(error.fields!.relayHost).toMatch(/Relay Host must be a host name, an IPv4 or IPv6 address, or blank/)
  })

  it.each([
    ['mailhub', 'mailhub'],
    ['smtp.example.com', 'smtp.example.com'],
    ['  smtp.example.com  ', 'smtp.example.com'],
    ['192.0.2.25', '192.0.2.25'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ])('Relay Host %j is accepted and stored as %j', (relayHost, stored) => {
    expect(accepted({ relayHost }).relayHost).toBe(stored)
  })

  it.each([0, 65536, -25, 1.5])('Relay Port %j is out of range', (relayPort) => {
    const error = rejected({ relayPort })
    expect(Object.keys(error.fields!)).toEqual(['relayPort'])
    expect(error.fields!.relayPort).toMatch(/Relay Port must be/)
  })

  it('Relay Port as text is refused with the same words', () => {
    expect(rejected({ relayPort: '587' }).fields!.relayPort).toMatch(/Relay Port must be a number from 1 to 65535, or blank/)
  })

  it('Relay Port 1 and 65535 and blank are fine', () => {
    expect(accepted({ relayPort: 1 }).relayPort).toBe(1)
    expect(accepted({ relayPort: 65535 }).relayPort).toBe(65535)
    expect(accepted({ relayPort: null }).relayPort).toBeNull()
  })

  it('Use SASL Authorization without a Username asks for the Username', () => {
    const error = rejected({ useSasl: true, username: '  ' })
    expect(Object.keys(error.fields!)).toEqual(['username'])
    expect(error.fields!.username).toMatch(/Enter the Username/)
  })

  it('Use SASL Authorization without a Relay Host is refused under useSasl', () => {
    const error = rejected({ useSasl: true, username: 'relayuser', relayHost: '', relayPort: null })
    expect(Object.keys(error.fields!)).toEqual(['useSasl'])
    expect(error.fields!.useSasl).toMatch(/Relay Host/)
  })

  it('a Relay Port with a blank Relay Host is refused under relayPort', () => {
    const error = rejected({ relayHost: '', relayPort: 587 })
    expect(Object.keys(error.fields!)).toEqual(['relayPort'])
    expect(error.fields!.relayPort).toMatch(/Leave Relay Port blank for direct sending/)
  })

  it('a maximal backoff shorter than the minimal one is refused under maxBackoffSec', () => {
    const error = rejected({ minBackoffSec: 600, maxBackoffSec: 300 })
    expect(Object.keys(error.fields!)).toEqual(['maxBackoffSec'])
    expect(error.fields!.maxBackoffSec).toMatch(/must not be shorter than the minimal backoff/)
  })

  it('a CA certificate over 64 KiB is refused under caPem before anything reads it', () => {
    const block = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n-----END CERTIFICATE-----\n`
    const error = rejected({ caPem: block.repeat(Math.ceil((64 * 1024) / block.length) + 1) })
    expect(Object.keys(error.fields!)).toEqual(['caPem'])
    expect(error.fields!.caPem).toMatch(/64 KiB/)
  })

  it('a CA certificate with a block that never ends is refused under caPem', () => {
    const error = rejected({ caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIC\n' })
    expect(Object.keys(error.fields!)).toEqual(['caPem'])
    expect(error.fields!.caPem).toMatch(/PEM/)
  })

  it('a CA certificate that is not PEM is refused under caPem', () => {
    const error = rejected({ caPem: 'MIIBkTCB+wIJAKHHIG...' })
    expect(Object.keys(error.fields!)).toEqual(['caPem'])
    expect(error.fields!.caPem).toMatch(/PEM/)
  })

  it.each([
    ['minBackoffSec', 5],
    ['maxQueueLifetimeSec', 10],
    ['concurrency', 0],
    ['connectionTimeoutSec', 0],
    ['greetingTimeoutSec', 601],
    ['maxMessageSizeBytes', 100],
    ['logRetentionDays', 0],
  ])('the advanced field %s refuses %j', (field, value) => {
    const error = rejected({ [field]: value })
    expect(Object.keys(error.fields!)).toEqual([field])
    expect(error.fields![field]!.length).toBeGreaterThan(10)
  })

  it.each([
    ['mail.example.com', 'must be an IPv4 or IPv6 address'],
    ['10.0.0.5', 'the address the Internet sees'],
    ['192.168.1.20', 'the address the Internet sees'],
    ['127.0.0.1', 'the address the Internet sees'],
    ['fe80::1', 'the address the Internet sees'],
  ])('Public address refuses %j, saying why', (value, why) => {
    const error = rejected({ publicAddress: value })
    expect(Object.keys(error.fields!)).toEqual(['publicAddress'])
    expect(error.fields!.publicAddress).toContain(why)
  })

  it('Public address takes a public IPv4 or IPv6 address, or blank', () => {
    for (const [value, stored] of [['', ''], [' 203.0.113.25 ', '203.0.113.25'], ['[2001:DB8::25]', '2001:db8::25']] as const) {
      expect(accepted({ publicAddress: value }).publicAddress, value).toBe(stored)
    }
  })

  it('several broken fields come back together, each under its own name', () => {
    const error = rejected({ hostname: 'mail', fromAddress: 'no-at', relayPort: 0, fromName: 'a\nb' })
    expect(Object.keys(error.fields!).sort()).toEqual(['fromAddress', 'fromName', 'hostname', 'relayPort'])
    expect(error.message).toBe('Some fields need attention.')
  })

  it('a broken field and a broken cross-field rule are both reported', () => {
    const error = rejected({ hostname: 'mail', useSasl: true, username: '' })
    expect(Object.keys(error.fields!).sort()).toEqual(['hostname', 'username'])
  })
})

describe('effective Relay Port and TLS', () => {
  const relay = { relayHost: 'smtp.example.test' }
  it.each([
    // useTls, tlsMode, relayPort → port, tls
    [true, 'auto', null, 587, 'starttls'],
    [true, 'auto', 465, 465, 'implicit'],
    [true, 'auto', 587, 587, 'starttls'],
    [true, 'auto', 2525, 2525, 'starttls'],
    [true, 'implicit', null, 465, 'implicit'],
    [true, 'implicit', 2465, 2465, 'implicit'],
    [true, 'starttls', null, 587, 'starttls'],
    [true, 'starttls', 465, 465, 'starttls'],
    // Use TLS off: STARTTLS where the relay offers it, as Postfix's smtp_tls_security_level = may.
    [false, 'auto', null, 25, 'opportunistic'],
    [false, 'implicit', null, 25, 'opportunistic'],
    [false, 'auto', 465, 465, 'opportunistic'],
  ] as const)('Use TLS %s, mode %s, port %j → port %j, %s', (useTls, tlsMode, relayPort, port, tls) => {
    const s = { ...relay, useTls, tlsMode, relayPort }
    expect(effectiveRelayPort(s)).toBe(port)
    expect(effectiveTls(s)).toBe(tls)
  })

  it('direct sending (no Relay Host) uses port 25, STARTTLS required with Use TLS, opportunistic without', () => {
    expect(effectiveRelayPort({ relayHost: '', relayPort: null, useTls: true, tlsMode: 'auto' })).toBe(25)
    expect(effectiveTls({ relayHost: '', relayPort: null, useTls: true, tlsMode: 'implicit' })).toBe('starttls')
    expect(effectiveRelayPort({ relayHost: '', relayPort: null, useTls: false, tlsMode: 'auto' })).toBe(25)
    expect(effectiveTls({ relayHost: '', relayPort: null, useTls: false, tlsMode: 'auto' })).toBe('opportunistic')
  })
})

describe('mail.sendTest: no header injection', () => {
  it('accepts a plain address and subject', () => {
    const result = parseRequest('mail.sendTest', { to: 'admin@example.net', subject: 'Hello' })
    expect(result).toEqual({ ok: true, data: { to: 'admin@example.net', subject: 'Hello' } })
  })

  it.each(['admin@example.net\r\nBcc: victim@example.com', 'admin@example.net\nRCPT TO:<x@example.com>', 'not-an-address', '"a> RCPT TO:<x@y>"@example.net'])('refuses the address %j under to', (to) => {
    const result = parseRequest('mail.sendTest', { to })
    if (result.ok) throw new Error('accepted')
    expect(result.error.code).toBe('invalid_request')
    expect(Object.keys(result.error.fields!)).toEqual(['to'])
    expect(result.error.fields!.to).toMatch(/valid email address/)
  })

  it.each(['Hello\0World', 'Hello\tWorld', 'Hello\x1b[2J'])('refuses the control characters of subject %j under subject', (subject) => {
    const result = parseRequest('mail.sendTest', { to: 'admin@example.net', subject })
    if (result.ok) throw new Error('accepted')
    expect(Object.keys(result.error.fields!)).toEqual(['subject'])
    expect(result.error.fields!.subject).toMatch(/The subject must not contain control characters/)
  })

  it.each(['Hello\r\nBcc: victim@example.com', 'Hello\nX-Injected: 1', 'Hello\r'])('refuses the subject %j under subject', (subject) => {
    const result = parseRequest('mail.sendTest', { to: 'admin@example.net', subject })
    if (result.ok) throw new Error('accepted')
    expect(Object.keys(result.error.fields!)).toEqual(['subject'])
    expect(result.error.fields!.subject).toMatch(/one line/)
  })
})
