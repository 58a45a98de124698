// @vitest-environment jsdom
import type { ReactNode } from 'react'
import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ListenerState } from '../../../src/renderer/components/listener/ListenerState.tsx'

// The dashboard's local submission line: off, listening with today's count, or the error.

const inList = (node: ReactNode) => render(<dl>{node}</dl>)

describe('ListenerState', () => {
  it('says off, where it listens with the count received today, or why it cannot listen', () => {
    const { unmount } = inList(<ListenerState listener={{ state: 'off' }} />)
    expect(screen.getByText('Local submission').nextElementSibling?.textContent).toBe('Off')
    unmount()

    const second = inList(<ListenerState listener={{ state: 'listening', addresses: ['127.0.0.1:2525', '[::1]:2525'], receivedToday: 1234, auth: true, starttls: false }} />)
    expect(screen.getByText(/Listening on/).textContent).toBe('Listening on 127.0.0.1:2525 and [::1]:2525 · 1,234 received today · AUTH required')
    second.unmount()

    inList(<ListenerState listener={{ state: 'error', message: 'Local submission cannot listen on 127.0.0.1:2525: the port is in use by another program (EADDRINUSE).' }} />)
    expect(screen.getByRole('alert').textContent).toMatch(/port is in use/)
  })
})
