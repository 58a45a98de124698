// @vitest-environment jsdom
import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { FIELD_LABELS, formLabel, PASSWORD_LABEL, type SettingsField } from '../../src/shared/labels.ts'
import { createFakeApi } from '../renderer/fake-api.ts'
import { renderConsole } from '../renderer/render.tsx'

// Edit Settings labels each input with shared/labels.ts's text (and its unit).

describe('shared/labels.ts on Edit Settings', () => {
  it('labels every field’s input with its label, the Password included', async () => {
    renderConsole(createFakeApi(), '#/settings')
    await screen.findByLabelText(FIELD_LABELS.hostname)
    await userEvent.setup().click(screen.getByText('Advanced'))
    for (const field of Object.keys(FIELD_LABELS) as SettingsField[]) {
      expect(screen.getByLabelText(formLabel(field)).id, field).toBe(`settings-${field}`)
    }
    expect(screen.getByLabelText(PASSWORD_LABEL).id).toBe('settings-password')
    expect(formLabel('logRetentionDays')).toBe(`${FIELD_LABELS.logRetentionDays} (days)`)
  })
})
