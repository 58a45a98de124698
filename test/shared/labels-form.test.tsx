// @vitest-environment jsdom
import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { FIELD_LABELS, formLabel, PASSWORD_LABEL, type SettingsField } from '../../src/shared/labels.ts'
import { createFakeApi } from '../renderer/fake-api.ts'
import { renderConsole } from '../renderer/render.tsx'

// Edit Settings labels each input with shared/labels.ts's text (and its unit).

/** The sign-in fields each show under the Sign-in method that uses them. */
const SHOWN_WITH: Partial<Record<SettingsField, [method: string, credential?: string]>> = {
  oauthTenantId: ['oauth-microsoft'],
  oauthCredential: ['oauth-microsoft'],
  oauthCertificatePem: ['oauth-microsoft', 'certificate'],
  oauthClientId: ['oauth-custom'],
  oauthTokenUrl: ['oauth-custom'],
  oauthScope: ['oauth-custom'],
}

describe('shared/labels.ts on Edit Settings', () => {
  it('labels every field’s input with its label, the Password included', async () => {
    renderConsole(createFakeApi(), '#/settings')
    await screen.findByLabelText(FIELD_LABELS.hostname)
    const user = userEvent.setup()
    await user.click(screen.getByText('Advanced'))
    await user.click(screen.getByRole('checkbox', { name: FIELD_LABELS.useSasl }))
    expect(screen.getByLabelText(PASSWORD_LABEL).id).toBe('settings-password')
    for (const field of Object.keys(FIELD_LABELS) as SettingsField[]) {
      // TLS mode is one choice with Use TLS: one control, the seed's label.
      if (field === 'tlsMode') {
        expect(screen.queryByLabelText(formLabel(field))).toBeNull()
        continue
      }
      const shown = SHOWN_WITH[field]
      if (shown) {
        await user.selectOptions(screen.getByLabelText(FIELD_LABELS.authMethod), shown[0])
        if (shown[1]) await user.selectOptions(screen.getByLabelText(FIELD_LABELS.oauthCredential), shown[1])
      }
      expect(screen.getByLabelText(formLabel(field)).id, field).toBe(`settings-${field}`)
    }
    expect(formLabel('logRetentionDays')).toBe(`${FIELD_LABELS.logRetentionDays} (days)`)
  })
})
