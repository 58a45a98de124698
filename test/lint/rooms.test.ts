import { join } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

// The rules that keep the rooms bite: each import below is written into a
// real file of its room (as text, nothing on disk changes) and linted with
// the project's own configuration.

const ROOT = join(import.meta.dirname, '..', '..')
// With CI=true the TypeScript parser assumes a single run over files as they are on disk and
// would lint the file's saved text instead of the probe written into it.
process.env.TSESTREE_SINGLE_RUN = 'false'
const eslint = new ESLint({ cwd: ROOT })

async function restricted(file: string, importLine: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${importLine}\nexport const probe = 1\n`, { filePath: join(ROOT, file) })
  // A file that did not parse reports nothing of its imports: that must fail, not pass as "allowed".
  expect(result!.messages.filter((m) => m.fatal)).toEqual([])
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('lint keeps the rooms', () => {
  it.each([
    ['src/main/core/queue/queue.ts', "import { startWebServer } from '../../web/server.ts'", /engine .* runs without its adapters/],
    ['src/main/core/engine/engine.ts', "import { menuTemplate } from '../../electron/menu.ts'", /engine .* runs without its adapters/],
    ['src/main/core/engine/engine.ts', "import { app } from 'electron'", /Only src\/main\/electron may import 'electron'/],
    ['src/renderer/App.tsx', "import { openEngine } from '../main/core/engine/engine.ts'", /renderer talks to the engine only through the API object/],
    ['src/shared/api.ts', "import { readFileSync } from 'node:fs'", /src\/shared is the contract/],
    ['src/main/web/server.ts', "import { menuTemplate } from '../electron/menu.ts'", /web adapter .* does not import the desktop shell/],
    ['src/main/core/diagnostics/run.ts', "import { Queue } from '../queue/queue.ts'", /checks .* only look and never send/],
    ['src/main/core/diagnostics/relay.ts', "import { SmtpSession } from '../delivery/session.ts'", /checks .* only look and never send/],
    ['src/main/core/diagnostics/relay.ts', "import { startWebServer } from '../../web/server.ts'", /checks .* only look and never send/],
    ['src/main/core/oauth/grants.ts', "import { Queue } from '../queue/queue.ts'", /oauth room .* imports only src\/shared and Node/],
    ['src/main/core/oauth/token-cache.ts', "import { startWebServer } from '../../web/server.ts'", /oauth room/],
    ['src/main/core/alerts/monitor.ts', "import { Queue } from '../storage/db.ts'", /alerts room .* nothing that writes or sends/],
    ['src/main/postfix/runner/local.ts', "import { Queue } from '../../core/queue/queue.ts'", /Postfix backend .* never the embedded queue/],
    ['src/main/postfix/runner/local.ts', "import { startWebServer } from '../../web/server.ts'", /Postfix backend/],
    ['src/main/core/alerts/throttle.ts', "import { app } from 'electron'", /Only src\/main\/electron may import 'electron'/],
  ])('%s: %s is refused', async (file, line, message) => {
    expect(await restricted(file, line)).toEqual([expect.stringMatching(message)])
  })

  it('allows what the rooms are for', async () => {
    expect(await restricted('src/main/web/server.ts', "import type { Engine } from '../core/engine/engine-types.ts'")).toEqual([])
    expect(await restricted('src/renderer/App.tsx', "import type { Status } from '../shared/types.ts'")).toEqual([])
    expect(await restricted('src/main/electron/main.ts', "import { app } from 'electron'")).toEqual([])
    expect(await restricted('src/main/core/diagnostics/direct.ts', "import { resolveMailHosts } from '../delivery/mx.ts'")).toEqual([])
    expect(await restricted('src/main/core/delivery/session.ts', "import { TokenCache } from '../oauth/token-cache.ts'")).toEqual([])
    expect(await restricted('src/main/core/oauth/grants.ts', "import { createHash } from 'node:crypto'")).toEqual([])
    expect(await restricted('src/main/core/alerts/monitor.ts', "import { explainCause } from '../errors/decoder.ts'")).toEqual([])
  })
})
