import { describe, expect, it } from 'vitest'
import { externalTarget, isAppUrl } from '../../src/main/electron/navigation.ts'
import { RENDERER_PAGE_URL } from '../../src/main/electron/renderer-scheme.ts'
import { isTrustedSender } from '../../src/main/electron/sender.ts'

const builtPage = RENDERER_PAGE_URL
const devServer = 'http://localhost:5173/'

describe('isAppUrl', () => {
  it('is the page on the app scheme, not a file', () => {
    expect(builtPage).toBe('smtp-console://app/index.html')
  })

  it('accepts the built page with any hash or query, and nothing else on the scheme', () => {
    expect(isAppUrl(builtPage, builtPage)).toBe(true)
    expect(isAppUrl(`${builtPage}#/queue`, builtPage)).toBe(true)
    expect(isAppUrl(`${builtPage}?page=2`, builtPage)).toBe(true)
    expect(isAppUrl('smtp-console://app/other.html', builtPage)).toBe(false)
    expect(isAppUrl('smtp-console://app/assets/index.js', builtPage)).toBe(false)
    expect(isAppUrl('smtp-console://evil/index.html', builtPage)).toBe(false)
    expect(isAppUrl('smtp-console://app:8080/index.html', builtPage)).toBe(false)
    expect(isAppUrl('other-scheme://app/index.html', builtPage)).toBe(false)
  })

  it('refuses every file:// page, the old built page included', () => {
    expect(isAppUrl('file:///etc/passwd', builtPage)).toBe(false)
    expect(isAppUrl('file:///opt/SMTP%20Console/resources/app.asar/out/renderer/index.html', builtPage)).toBe(false)
    const oldPage = 'file:///opt/SMTP%20Console/resources/app.asar/out/renderer/index.html'
    expect(isAppUrl(oldPage, oldPage)).toBe(false)
  })

  it('accepts the dev server origin and refuses any other origin', () => {
    expect(isAppUrl('http://localhost:5173/src/main.tsx', devServer)).toBe(true)
    expect(isAppUrl('http://localhost:5174/', devServer)).toBe(false)
    expect(isAppUrl('https://localhost:5173/', devServer)).toBe(false)
    expect(isAppUrl('https://example.com/', devServer)).toBe(false)
  })

  it('refuses what does not parse', () => {
    expect(isAppUrl('not a url', builtPage)).toBe(false)
    expect(isAppUrl(builtPage, 'not a url')).toBe(false)
  })
})

describe('externalTarget', () => {
  it('lets https and mailto links out', () => {
    expect(externalTarget('https://docs.example.com/smtp')).toBe('https://docs.example.com/smtp')
    expect(externalTarget('mailto:postmaster@example.com')).toBe('mailto:postmaster@example.com')
  })

  it('keeps every other scheme in', () => {
    for (const url of ['http://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:foo', 'data:text/html,x']) {
      expect(externalTarget(url), url).toBeNull()
    }
  })

  it('refuses https links that carry credentials', () => {
    expect(externalTarget('https://user:secret@example.com/')).toBeNull()
  })
})

describe('isTrustedSender', () => {
  const window = { webContentsId: 7, appUrl: builtPage }
  const good = { webContentsId: 7, frameUrl: `${builtPage}#/settings`, isMainFrame: true }

  it('trusts the main frame of the app window showing the app page', () => {
    expect(isTrustedSender(good, window)).toBe(true)
  })

  it('refuses another webContents, a subframe, a gone frame, a foreign page, or no window', () => {
    expect(isTrustedSender({ ...good, webContentsId: 8 }, window)).toBe(false)
    expect(isTrustedSender({ ...good, isMainFrame: false }, window)).toBe(false)
    expect(isTrustedSender({ ...good, frameUrl: null }, window)).toBe(false)
    expect(isTrustedSender({ ...good, frameUrl: 'https://evil.example/' }, window)).toBe(false)
    expect(isTrustedSender({ ...good, frameUrl: 'file:///opt/SMTP%20Console/resources/app.asar/out/renderer/index.html' }, window)).toBe(false)
    expect(isTrustedSender(good, null)).toBe(false)
  })
})
