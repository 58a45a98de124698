import { afterEach, describe, expect, it } from 'vitest'
import { unwrap } from '../helpers/engine.ts'
import { allDeferred, inject, openTestBackend } from '../helpers/postfix-backend.ts'
import { freePort, postfixUnusable, startPostfix } from '../helpers/postfix.ts'

// A Postfix system raises no alerts (no monitor watches its queue), so a page
// that shows one reads nothing standing, even while its queue is deferred.

const unusable = postfixUnusable()

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe.skipIf(unusable !== null)(`the alerts standing on a real Postfix${unusable ? ` (skipped: ${unusable})` : ''}`, () => {
  it('are none, and no count, while its messages are deferred', async () => {
    const pf = await startPostfix({ relayPort: await freePort() })
    cleanups.push(() => pf.stop())
    inject(pf, 2, 'ops@a.test', 'user@one.test')
    await allDeferred(pf, 2)
    const tb = await openTestBackend(pf)
    cleanups.push(() => tb.close())
    expect(unwrap(await tb.backend.call('alerts.current', undefined))).toEqual({ alerts: [], badge: { count: 0 } })
  })
})
