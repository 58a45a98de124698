import { describe, expect, it } from 'vitest'
import { completeHost, hasPlaceholder, presetForHost, PRESETS, type Preset } from '../../src/shared/presets.ts'
import { DEFAULT_SETTINGS, effectiveRelayPort, effectiveTls, settingsFieldsSchema, settingsSchema, type SettingsFields } from '../../src/shared/settings.ts'

// Every preset must save as it is filled in: its host, port and TLS mode pass
// the same schema Submit uses, and TLS agrees with the port as the settings'
// rules read it (implicit TLS on 465, STARTTLS elsewhere).

/** The settings a preset fills in, on top of the defaults, with the template completed as the provider's example does. */
function settingsOf(preset: Preset, host = completeHost(preset)): SettingsFields {
  return {
    ...DEFAULT_SETTINGS,
    hostname: 'console.example.com',
    fromAddress: 'alerts@example.com',
    relayHost: host,
    relayPort: preset.relayPort,
    useTls: preset.useTls,
    tlsMode: preset.tlsMode,
    useSasl: preset.useSasl,
    username: preset.useSasl ? (preset.username ?? 'alerts@example.com') : '',
  }
}

const hostsOf = (preset: Preset): string[] => [completeHost(preset), ...(preset.hostChoices?.choices.map((c) => c.host) ?? [])]

describe('provider presets', () => {
  it('have unique ids and names', () => {
    expect(PRESETS.length).toBeGreaterThanOrEqual(8)
    expect(new Set(PRESETS.map((p) => p.id)).size).toBe(PRESETS.length)
    expect(new Set(PRESETS.map((p) => p.name)).size).toBe(PRESETS.length)
    for (const p of PRESETS) expect(p.id).toMatch(/^[a-z0-9-]+$/)
  })

  describe.each(PRESETS.map((p) => [p.name, p] as const))('%s', (_name, preset) => {
    it('host, port and TLS mode pass the settings schema', () => {
      for (const host of hostsOf(preset)) {
        const parsed = settingsSchema.safeParse(settingsOf(preset, host))
        expect(parsed.error?.issues ?? [], host).toEqual([])
        expect(settingsFieldsSchema.shape.relayHost.parse(host)).toBe(host)
      }
      expect(settingsFieldsSchema.shape.relayPort.parse(preset.relayPort)).toBe(preset.relayPort)
    })

    it('encrypts, with the TLS mode the port calls for', () => {
      const s = settingsOf(preset)
      expect(preset.useTls).toBe(true)
      const expected = preset.relayPort === 465 ? 'implicit' : 'starttls'
      expect(effectiveTls(s)).toBe(expected)
      // Automatic by port would pick the same: the mode never fights the port.
      expect(effectiveTls({ ...s, tlsMode: 'auto' })).toBe(expected)
      expect(effectiveRelayPort(s)).toBe(preset.relayPort)
    })

    it('signs in as it says', () => {
      expect(preset.signIn.length).toBeGreaterThan(0)
      expect(new Set(preset.signIn).size).toBe(preset.signIn.length)
      // Use SASL Authorization follows the recommended method: off exactly when the relay takes the system by its IP address.
      expect(preset.useSasl).toBe(preset.signIn[0] !== 'none')
      if (preset.username !== undefined) expect(settingsFieldsSchema.shape.username.parse(preset.username)).toBe(preset.username)
    })

    it('names its source and says the setup in one paragraph', () => {
      expect(preset.source).toMatch(/^https:\/\/[^\s]+$/)
      expect(preset.setup.length).toBeGreaterThan(80)
      expect(preset.setup).not.toMatch(/\n/)
      expect(preset.usernameHint).not.toBe('')
    })

    it('is recognised from a saved Relay Host', () => {
      for (const host of hostsOf(preset)) expect(presetForHost(host)?.id, host).toBe(preset.id)
      expect(presetForHost(hostsOf(preset)[0]!.toUpperCase())?.id).toBe(preset.id)
    })
  })

  describe('templates', () => {
    const templates = PRESETS.filter((p) => p.placeholder !== undefined)

    it('Amazon SES and the Microsoft 365 relay connector are templates', () => {
      expect(templates.map((p) => p.id).sort()).toEqual(['amazon-ses', 'microsoft-365-connector'])
    })

    it.each(templates.map((p) => [p.name, p] as const))('%s cannot be saved before its placeholder is replaced', (_name, preset) => {
      expect(hasPlaceholder(preset, preset.relayHost)).toBe(true)
      expect(settingsFieldsSchema.shape.relayHost.safeParse(preset.relayHost).success).toBe(false)
      expect(hasPlaceholder(preset, completeHost(preset))).toBe(false)
    })

    it('completes as the providers document it', () => {
      expect(completeHost(PRESETS.find((p) => p.id === 'amazon-ses')!, 'eu-west-1')).toBe('email-smtp.eu-west-1.amazonaws.com')
      expect(completeHost(PRESETS.find((p) => p.id === 'microsoft-365-connector')!)).toBe('contoso-com.mail.protection.outlook.com')
    })
  })

  it('leaves a host no provider owns to Custom', () => {
    for (const host of ['', 'mail.example.com', '127.0.0.1', 'smtp.office365.com.evil.example', 'email-smtp.amazonaws.com']) expect(presetForHost(host)).toBeUndefined()
  })
})
