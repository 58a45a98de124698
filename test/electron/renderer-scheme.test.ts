import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build as viteBuild, type InlineConfig } from 'vite'
import { RendererConfigFactory } from 'electron-vite'
import config from '../../electron.vite.config.ts'
import {
  RENDERER_ORIGIN,
  RENDERER_PAGE_URL,
  RENDERER_SCHEME_PRIVILEGES,
  rendererResponse,
  resolveRendererFile,
} from '../../src/main/electron/renderer-scheme.ts'

// A real folder on disk stands in for out/renderer, with a secret next to it
// that no request may reach: the same files Electron's handler would read.

const SECRET = 'relay password: hunter2'
const POLICY = "default-src 'self'"
let base = ''
let root = ''

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'smtp-console-scheme-'))
  root = join(base, 'renderer')
  await mkdir(join(root, 'assets'), { recursive: true })
  await writeFile(join(base, 'secret.txt'), SECRET)
  await writeFile(join(root, 'index.html'), '<!doctype html><title>SMTP Console</title>')
  const files: Record<string, string> = {
    'assets/index-abc.js': 'export {}',
    'assets/chunk.mjs': 'export {}',
    'assets/index-abc.css': 'body{}',
    'assets/logo.svg': '<svg/>',
    'assets/icon.png': 'png',
    'assets/photo.JPG': 'jpg',
    'assets/font.woff2': 'woff2',
    'assets/data.json': '{}',
    'assets/index-abc.js.map': '{}',
    'assets/favicon.ico': 'ico',
    'assets/blob.xyz': 'raw',
    'assets/a b.js': 'export {}',
  }
  for (const [name, content] of Object.entries(files)) await writeFile(join(root, name), content)
})

afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true })
})

async function statusOf(url: string): Promise<number> {
  return (await resolveRendererFile(url, root)).status
}

describe('resolveRendererFile', () => {
  it('serves index.html for the bare origin and for its own name, whatever the query or hash', async () => {
    for (const url of [`${RENDERER_ORIGIN}/`, RENDERER_PAGE_URL, `${RENDERER_PAGE_URL}?next=../../secret.txt#/queue`, `${RENDERER_ORIGIN}/?a=/etc/passwd`]) {
      expect(await resolveRendererFile(url, root), url).toEqual({ status: 200, path: join(root, 'index.html'), mimeType: 'text/html; charset=utf-8' })
    }
  })

  it('gives each file the type a browser needs, modules included', async () => {
    const types: Record<string, string> = {
      'assets/index-abc.js': 'text/javascript; charset=utf-8',
      'assets/chunk.mjs': 'text/javascript; charset=utf-8',
      'assets/index-abc.css': 'text/css; charset=utf-8',
      'assets/logo.svg': 'image/svg+xml',
      'assets/icon.png': 'image/png',
      'assets/photo.JPG': 'image/jpeg',
      'assets/font.woff2': 'font/woff2',
      'assets/data.json': 'application/json',
      'assets/index-abc.js.map': 'application/json',
      'assets/favicon.ico': 'image/x-icon',
      'assets/blob.xyz': 'application/octet-stream',
      'assets/a%20b.js': 'text/javascript; charset=utf-8',
    }
    for (const [name, mimeType] of Object.entries(types)) {
      const found = await resolveRendererFile(`${RENDERER_ORIGIN}/${name}`, root)
      expect(found.status, name).toBe(200)
      expect(found.status === 200 && found.mimeType, name).toBe(mimeType)
      expect(found.status === 200 && relative(root, found.path), name).toBe(decodeURIComponent(name).split('/').join(sep))
    }
  })

  it('answers 404 for a missing file, a folder, an empty segment, another host or another scheme', async () => {
    for (const url of [
      `${RENDERER_ORIGIN}/missing.js`,
      `${RENDERER_ORIGIN}/assets`,
      `${RENDERER_ORIGIN}/assets/`,
      `${RENDERER_ORIGIN}/assets//index-abc.js`,
      `${RENDERER_ORIGIN}/index.html/`,
      'smtp-console://evil/index.html',
      'smtp-console:///index.html',
      'file:///etc/passwd',
      `https://app/index.html`,
    ]) {
      expect(await statusOf(url), url).toBe(404)
    }
  })

  it('never reaches a file outside the folder, however the path is spelt', async () => {
    const secret = join(base, 'secret.txt')
    const attempts = [
      `${RENDERER_ORIGIN}/../secret.txt`,
      `${RENDERER_ORIGIN}/assets/../../secret.txt`,
      `${RENDERER_ORIGIN}/%2e%2e/secret.txt`,
      `${RENDERER_ORIGIN}/%2E%2E/%2E%2E/secret.txt`,
      `${RENDERER_ORIGIN}/.%2e/secret.txt`,
      `${RENDERER_ORIGIN}/..%2fsecret.txt`,
      `${RENDERER_ORIGIN}/%2e%2e%2fsecret.txt`,
      `${RENDERER_ORIGIN}/assets/..%2F..%2Fsecret.txt`,
      `${RENDERER_ORIGIN}/..%5csecret.txt`,
      `${RENDERER_ORIGIN}/..\\secret.txt`,
      `${RENDERER_ORIGIN}/%252e%252e/secret.txt`,
      `${RENDERER_ORIGIN}/${encodeURIComponent(secret)}`,
      `${RENDERER_ORIGIN}/${secret.split(sep).map(encodeURIComponent).join('/')}`,
      `${RENDERER_ORIGIN}//${secret}`,
      `${RENDERER_ORIGIN}/C:%5CWindows%5Cwin.ini`,
      `${RENDERER_ORIGIN}/C:/Windows/win.ini`,
      `${RENDERER_ORIGIN}/index.html%00.png`,
      `smtp-console://app${secret}`,
      `file://${secret}`,
    ]
    for (const url of attempts) {
      const found = await resolveRendererFile(url, root)
      expect(found.status, url).not.toBe(200)
      const answer = await rendererResponse({ url, method: 'GET' }, root, POLICY)
      expect(answer.status, url).not.toBe(200)
      expect(await answer.text(), url).not.toContain(SECRET)
    }
  })

  it('refuses encoded separators, dot segments and drive letters with 403, not as a missing file', async () => {
    for (const url of [
      `${RENDERER_ORIGIN}/..%2fsecret.txt`,
      `${RENDERER_ORIGIN}/assets%2findex-abc.js`,
      `${RENDERER_ORIGIN}/..%5csecret.txt`,
      `${RENDERER_ORIGIN}/..\\secret.txt`,
      `${RENDERER_ORIGIN}/C:%5CWindows%5Cwin.ini`,
      `${RENDERER_ORIGIN}/index.html%00.png`,
    ]) {
      expect(await statusOf(url), url).toBe(403)
    }
  })

  it('answers 400 for a malformed percent-encoding or an address that does not parse', async () => {
    expect(await statusOf(`${RENDERER_ORIGIN}/%`)).toBe(400)
    expect(await statusOf(`${RENDERER_ORIGIN}/%E0%A4%A`)).toBe(400)
    expect(await statusOf('not a url')).toBe(400)
  })
})

describe('rendererResponse', () => {
  it('sends the file with its type, the page policy and nosniff', async () => {
    const answer = await rendererResponse({ url: `${RENDERER_ORIGIN}/assets/index-abc.js`, method: 'GET', initiatorOrigin: RENDERER_ORIGIN }, root, POLICY)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(answer.headers.get('content-security-policy')).toBe(POLICY)
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await answer.text()).toBe('export {}')
  })

  it('puts the policy on the page the window loads', async () => {
    const answer = await rendererResponse({ url: RENDERER_PAGE_URL, method: 'GET' }, root, POLICY)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-security-policy')).toBe(POLICY)
    expect(await answer.text()).toContain('<title>SMTP Console</title>')
  })

  it('answers HEAD without a body and refuses other methods with 405', async () => {
    const head = await rendererResponse({ url: RENDERER_PAGE_URL, method: 'HEAD' }, root, POLICY)
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String((await readFile(join(root, 'index.html'))).byteLength))
    expect(await head.text()).toBe('')
    const post = await rendererResponse({ url: RENDERER_PAGE_URL, method: 'POST' }, root, POLICY)
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('answers a missing file with 404 in plain text, still under the policy', async () => {
    const answer = await rendererResponse({ url: `${RENDERER_ORIGIN}/nothing.js`, method: 'GET' }, root, POLICY)
    expect(answer.status).toBe(404)
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(answer.headers.get('content-security-policy')).toBe(POLICY)
  })

  it('serves a request the console made, or the browser made for it', async () => {
    for (const initiatorOrigin of [undefined, RENDERER_ORIGIN, `${RENDERER_ORIGIN}/`]) {
      const answer = await rendererResponse({ url: `${RENDERER_ORIGIN}/assets/index-abc.js`, method: 'GET', ...(initiatorOrigin ? { initiatorOrigin } : {}) }, root, POLICY)
      expect(answer.status, initiatorOrigin).toBe(200)
    }
  })

  it('serves a request another origin made to nobody', async () => {
    for (const initiatorOrigin of ['https://evil.example', 'null', '', 'file://', 'smtp-console://evil', 'smtp-console://app:8080', 'smtp-console://app/index.html', 'https://app']) {
      const answer = await rendererResponse({ url: `${RENDERER_ORIGIN}/assets/index-abc.js`, method: 'GET', initiatorOrigin }, root, POLICY)
      expect(answer.status, initiatorOrigin).toBe(403)
      expect(await answer.text(), initiatorOrigin).not.toContain('export')
    }
  })
})

describe('RENDERER_SCHEME_PRIVILEGES', () => {
  it('makes a standard, secure origin that neither skips the policy nor lets other origins read it', () => {
    expect(RENDERER_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true })
    expect(RENDERER_SCHEME_PRIVILEGES).not.toHaveProperty('bypassCSP')
    expect(RENDERER_SCHEME_PRIVILEGES).not.toHaveProperty('corsEnabled')
    expect(RENDERER_SCHEME_PRIVILEGES).not.toHaveProperty('allowServiceWorkers')
  })
})

// The real renderer, built with the project's config, must load from the new
// origin: every file it names resolves, relative to the page, to a file served
// with the type Chromium's strict module-script check demands.
describe('the built renderer on the scheme', () => {
  let outDir = ''

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'smtp-console-renderer-'))
    const renderer = { ...config.renderer, build: { ...config.renderer?.build, outDir } }
    const factory = new RendererConfigFactory(renderer, { configFile: false, logLevel: 'silent', mode: 'production' }, { root: process.cwd() })
    const resolved = (await factory.build()) as InlineConfig
    await viteBuild({ ...resolved, configFile: false, logLevel: 'silent' })
  }, 120_000)

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true })
  })

  it('serves every script and stylesheet index.html names, with the right type', async () => {
    const html = await (await rendererResponse({ url: RENDERER_PAGE_URL, method: 'GET' }, outDir, POLICY)).text()
    const references = [...html.matchAll(/<(script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map(([, tag, ref]) => ({ tag: tag!, url: new URL(ref!, RENDERER_PAGE_URL).href }))
    expect(references.map((reference) => reference.tag).sort()).toEqual(['link', 'script'])
    for (const { tag, url } of references) {
      expect(url.startsWith(`${RENDERER_ORIGIN}/`), url).toBe(true)
      const answer = await rendererResponse({ url, method: 'GET', initiatorOrigin: RENDERER_ORIGIN }, outDir, POLICY)
      expect(answer.status, url).toBe(200)
      expect(answer.headers.get('content-type'), url).toBe(tag === 'script' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8')
    }
  })

  it('serves every file of the build, lazily loaded pages included, with a known type', async () => {
    const files = (await readdir(outDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile())
    expect(files.length).toBeGreaterThan(2)
    for (const entry of files) {
      const path = relative(outDir, join(entry.parentPath, entry.name)).split(sep).map(encodeURIComponent).join('/')
      const found = await resolveRendererFile(`${RENDERER_ORIGIN}/${path}`, outDir)
      expect(found.status, path).toBe(200)
      expect(found.status === 200 && found.mimeType, path).not.toBe('application/octet-stream')
    }
  })
})
