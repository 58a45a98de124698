// @vitest-environment jsdom
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { SettingsFields } from '../../../../src/shared/settings.ts'
import { createFakeApi } from '../../fake-api.ts'
import { renderConsole } from '../../render.tsx'

// Edit Settings → Advanced → Local submission, on the whole console: the form
// checks with the shared schema (src/shared/settings.ts) before Submit, and the
// fake engine parses what is sent with the same schema.

const settingsWith = (patch: Partial<SettingsFields>): SettingsFields => ({ ...createFakeApi().view.settings, ...patch })

async function openLocalSubmission(fake = createFakeApi()) {
  renderConsole(fake, '#/settings')
  await screen.findByLabelText('Hostname')
  const user = userEvent.setup()
  await user.click(screen.getByText('Advanced'))
  return { fake, user }
}

function describedText(input: HTMLElement): string {
  return (input.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ')
}

const field = <T extends HTMLElement = HTMLInputElement>(label: string) => screen.getByLabelText<T>(label)
const checkbox = (name: string) => screen.getByRole<HTMLInputElement>('checkbox', { name })

async function submit(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole('button', { name: 'Submit' }))
}

describe('Local submission on Edit Settings', () => {
  describe('a Listen address other machines can reach', () => {
    for (const address of ['0.0.0.0', '192.0.2.10', '::']) {
      it(`${address} without Require AUTH and Offer STARTTLS: says why under each, and sends nothing`, async () => {
        const { fake, user } = await openLocalSubmission()
        await user.click(checkbox('Local submission'))
        const listenAddress = field('Listen address')
        await user.clear(listenAddress)
        await user.type(listenAddress, address)
        // Said before Submit, beside the address.
        expect(describedText(listenAddress)).toContain('Reachable from other machines: Require AUTH and Offer STARTTLS must be on.')
        await submit(user)

        const requireAuth = checkbox('Require AUTH')
        await waitFor(() => expect(requireAuth.getAttribute('aria-invalid')).toBe('true'))
        expect(describedText(requireAuth)).toContain(`Listen address ${address} can be reached from other machines: turn on Require AUTH, or anyone who reaches it could send mail through this console (an open relay).`)
        const starttls = checkbox('Offer STARTTLS')
        expect(starttls.getAttribute('aria-invalid')).toBe('true')
        expect(describedText(starttls)).toContain(`Listen address ${address} can be reached from other machines: turn on Offer STARTTLS, so the Submission username and password never cross the network in clear.`)
        expect(screen.getByText('Advanced').closest('details')!.open).toBe(true)
        expect(fake.callsOf('settings.update')).toHaveLength(0)
        expect(screen.queryByText('Settings saved.')).toBeNull()
        expect(fake.view.settings.listenEnabled).toBe(false)
      })
    }

    it('Require AUTH alone is not enough; with STARTTLS, a username and a password it saves', async () => {
      const { fake, user } = await openLocalSubmission()
      await user.click(checkbox('Local submission'))
      await user.clear(field('Listen address'))
      await user.type(field('Listen address'), '192.0.2.10')
      await user.click(checkbox('Require AUTH'))
      await submit(user)
      await waitFor(() => expect(checkbox('Offer STARTTLS').getAttribute('aria-invalid')).toBe('true'))
      expect(describedText(checkbox('Require AUTH'))).not.toContain('open relay')
      expect(describedText(field('Submission username'))).toContain('Enter the Submission username: Require AUTH is on.')
      expect(fake.callsOf('settings.update')).toHaveLength(0)

      await user.click(checkbox('Offer STARTTLS'))
      await user.type(field('Submission username'), 'cron')
      await user.type(field('Submission password'), 'subm1t pass')
      await submit(user)
      await screen.findByText('Settings saved.')
      const [request] = fake.callsOf('settings.update')
      expect(request!.settings).toMatchObject({ listenEnabled: true, listenAddress: '192.0.2.10', listenRequireAuth: true, listenStarttls: true, listenUsername: 'cron' })
      expect(request!.listenPassword).toBe('subm1t pass')
      for (const name of ['Require AUTH', 'Offer STARTTLS']) expect(checkbox(name).getAttribute('aria-invalid')).toBeNull()
    })

    it('an error goes once its field is changed, as on the rest of the form', async () => {
      const { user } = await openLocalSubmission()
      await user.click(checkbox('Local submission'))
      await user.clear(field('Listen address'))
      await user.type(field('Listen address'), '0.0.0.0')
      await submit(user)
      await waitFor(() => expect(checkbox('Require AUTH').getAttribute('aria-invalid')).toBe('true'))
      // Turned on, Require AUTH no longer says to turn it on; Offer STARTTLS, untouched, still does.
      await user.click(checkbox('Require AUTH'))
      expect(checkbox('Require AUTH').getAttribute('aria-invalid')).toBeNull()
      expect(describedText(checkbox('Require AUTH'))).not.toContain('turn on Require AUTH')
      expect(checkbox('Offer STARTTLS').getAttribute('aria-invalid')).toBe('true')
      expect(describedText(checkbox('Offer STARTTLS'))).toContain('turn on Offer STARTTLS')
    })

    it('a loopback address needs neither', async () => {
      const { fake, user } = await openLocalSubmission()
      await user.click(checkbox('Local submission'))
      await user.clear(field('Listen address'))
      await user.type(field('Listen address'), '127.0.0.2')
      expect(describedText(field('Listen address'))).toContain('takes mail from this machine only')
      await user.clear(field('Listen port'))
      await user.type(field('Listen port'), '2526')
      expect(describedText(field('Listen port'))).toContain('Clients send to 127.0.0.2:2526')
      await submit(user)
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.settings).toMatchObject({ listenEnabled: true, listenAddress: '127.0.0.2', listenPort: 2526, listenRequireAuth: false, listenStarttls: false })
      expect('listenPassword' in fake.callsOf('settings.update')[0]!).toBe(false)
    })

    it('a host name or a port that is not a number is refused in the admin’s words', async () => {
      const { fake, user } = await openLocalSubmission()
      await user.click(checkbox('Local submission'))
      await user.clear(field('Listen address'))
      await user.type(field('Listen address'), 'localhost')
      await user.clear(field('Listen port'))
      await user.type(field('Listen port'), '25x')
      await submit(user)
      await waitFor(() => expect(field('Listen address').getAttribute('aria-invalid')).toBe('true'))
      expect(describedText(field('Listen address'))).toContain('Listen address must be an IP address of this machine, such as 127.0.0.1, ::1, or 0.0.0.0 for every address.')
      expect(describedText(field('Listen port'))).toContain('Listen port must be a number from 1 to 65535.')
      expect(fake.callsOf('settings.update')).toHaveLength(0)
    })
  })

  describe('the Submission password', () => {
    const withPassword = () =>
      createFakeApi({
        view: {
          settings: settingsWith({ listenEnabled: true, listenRequireAuth: true, listenUsername: 'cron' }),
          hasListenPassword: true,
        },
      })

    it('none saved: typed only once Require AUTH is on, and sent as typed', async () => {
      const { fake, user } = await openLocalSubmission()
      await user.click(checkbox('Local submission'))
      const password = field('Submission password')
      expect(describedText(password)).toContain('No password is set.')
      expect(password.disabled).toBe(true)
      expect(screen.queryByRole('checkbox', { name: 'Clear submission password' })).toBeNull()
      await user.click(checkbox('Require AUTH'))
      expect(password.disabled).toBe(false)
      await user.type(field('Submission username'), 'cron')
      await user.type(password, 'first pass')
      await submit(user)
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.listenPassword).toBe('first pass')
      // Saved: the form now offers to replace or clear it, and never shows it.
      const replace = await screen.findByLabelText<HTMLInputElement>('Replace submission password')
      expect(replace.value).toBe('')
      expect(describedText(replace)).toContain('A password is set and never shown.')
      expect(checkbox('Clear submission password').checked).toBe(false)
    })

    it('saved and untouched: nothing about it is sent, so it is kept', async () => {
      const { fake, user } = await openLocalSubmission(withPassword())
      expect(field('Replace submission password').value).toBe('')
      await submit(user)
      await screen.findByText('Settings saved.')
      const [request] = fake.callsOf('settings.update')
      expect('listenPassword' in request!).toBe(false)
      expect(fake.view.hasListenPassword).toBe(true)
    })

    it('replaced with what is typed', async () => {
      const { fake, user } = await openLocalSubmission(withPassword())
      await user.type(field('Replace submission password'), 'n3w pass')
      await submit(user)
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.listenPassword).toBe('n3w pass')
      expect(field('Replace submission password').value).toBe('')
    })

    it('cleared with Clear submission password once Require AUTH is off; what was typed is not sent', async () => {
      const { fake, user } = await openLocalSubmission(withPassword())
      await user.type(field('Replace submission password'), 'typed then cleared')
      await user.click(checkbox('Require AUTH'))
      await user.click(checkbox('Clear submission password'))
      expect(field('Replace submission password').disabled).toBe(true)
      await submit(user)
      await screen.findByText('Settings saved.')
      const [request] = fake.callsOf('settings.update')
      expect(request!.listenPassword).toBeNull()
      expect(request!.settings.listenRequireAuth).toBe(false)
      // None saved now: the plain field again, and no Clear.
      expect(await screen.findByLabelText('Submission password')).toBeTruthy()
      expect(screen.queryByRole('checkbox', { name: 'Clear submission password' })).toBeNull()
    })

    it('main’s refusal of Require AUTH without a password shows under the Submission password', async () => {
      const { fake, user } = await openLocalSubmission(withPassword())
      // The settings store's words (settings-store.ts sealListenPasswordOf), as the API returns them.
      fake.handle('settings.update', () => ({
        ok: false,
        error: { code: 'invalid_request', message: 'Some fields need attention.', fields: { listenPassword: 'Enter the Submission password: Require AUTH is on.' } },
      }))
      await user.click(checkbox('Clear submission password'))
      await submit(user)
      const password = field('Replace submission password')
      await waitFor(() => expect(password.getAttribute('aria-invalid')).toBe('true'))
      expect(describedText(password)).toContain('Enter the Submission password: Require AUTH is on.')
      expect(fake.callsOf('settings.update')[0]!.listenPassword).toBeNull()
      expect(screen.getByRole('alert').textContent).toBe('Some fields need attention: see the messages under them.')
      expect(screen.queryByText('Settings saved.')).toBeNull()
    })
  })

  describe('with Local submission off', () => {
    const ALL = ['Listen address', 'Listen port', 'Require AUTH', 'Submission username', 'Submission password', 'Offer STARTTLS', 'Certificate file', 'Private key file']

    it('its fields are shown but cannot be changed; turned on, each opens as its switch allows', async () => {
      const { user } = await openLocalSubmission()
      expect(checkbox('Local submission').checked).toBe(false)
      for (const label of ALL) expect(field(label).disabled, label).toBe(true)
      expect(field('Listen address').value).toBe('127.0.0.1')
      expect(field('Listen port').value).toBe('2525')

      await user.click(checkbox('Local submission'))
      for (const label of ['Listen address', 'Listen port', 'Require AUTH', 'Offer STARTTLS']) expect(field(label).disabled, label).toBe(false)
      // Username and password only with Require AUTH; the PEM files only with Offer STARTTLS.
      for (const label of ['Submission username', 'Submission password', 'Certificate file', 'Private key file']) expect(field(label).disabled, label).toBe(true)
      await user.click(checkbox('Require AUTH'))
      expect(field('Submission username').disabled).toBe(false)
      expect(field('Submission password').disabled).toBe(false)
      await user.click(checkbox('Offer STARTTLS'))
      expect(field('Certificate file').disabled).toBe(false)
      expect(field('Private key file').disabled).toBe(false)

      await user.click(checkbox('Local submission'))
      for (const label of ALL) expect(field(label).disabled, label).toBe(true)
    })

    it('a bad value typed before turning it off stays open to mend, and then saves', async () => {
      const { fake, user } = await openLocalSubmission()
      await user.click(checkbox('Local submission'))
      await user.clear(field('Listen address'))
      await user.type(field('Listen address'), 'localhost')
      await user.click(checkbox('Local submission'))
      expect(field('Listen address').disabled).toBe(true)
      await submit(user)
      await waitFor(() => expect(field('Listen address').getAttribute('aria-invalid')).toBe('true'))
      // Refused: the field opens so the value can be mended, though the listener stays off.
      expect(field('Listen address').disabled).toBe(false)
      expect(field('Listen port').disabled).toBe(true)
      expect(fake.callsOf('settings.update')).toHaveLength(0)
      await user.clear(field('Listen address'))
      await user.type(field('Listen address'), '127.0.0.2')
      expect(field('Listen address').value).toBe('127.0.0.2')
      await submit(user)
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.settings).toMatchObject({ listenEnabled: false, listenAddress: '127.0.0.2' })
    })

    it('a saved open address is not an error while off, and what is saved is kept as it was', async () => {
      const settings = settingsWith({ listenEnabled: true, listenAddress: '0.0.0.0', listenPort: 2600, listenRequireAuth: true, listenUsername: 'cron', listenStarttls: true })
      const { fake, user } = await openLocalSubmission(createFakeApi({ view: { settings, hasListenPassword: true } }))
      expect(checkbox('Local submission').checked).toBe(true)
      await user.click(checkbox('Local submission'))
      await submit(user)
      await screen.findByText('Settings saved.')
      const [request] = fake.callsOf('settings.update')
      expect(request!.settings).toMatchObject({ listenEnabled: false, listenAddress: '0.0.0.0', listenPort: 2600, listenRequireAuth: true, listenUsername: 'cron', listenStarttls: true })
      expect('listenPassword' in request!).toBe(false)
    })

    it('Clear submission password stays usable while off, so a saved password can be removed with the listener off', async () => {
      const settings = settingsWith({ listenRequireAuth: true, listenUsername: 'cron' })
      const { fake, user } = await openLocalSubmission(createFakeApi({ view: { settings, hasListenPassword: true } }))
      expect(field('Replace submission password').disabled).toBe(true)
      expect(checkbox('Clear submission password').disabled).toBe(false)
      await user.click(checkbox('Clear submission password'))
      await submit(user)
      await screen.findByText('Settings saved.')
      expect(fake.callsOf('settings.update')[0]!.listenPassword).toBeNull()
    })
  })
})
