import type { SettingsFields } from '../../../shared/settings.ts'
import { directChecks } from './direct.ts'
import { relayChecks } from './relay.ts'
import type { CheckGroup } from './run.ts'

// Which checks a run has: the relay's with a Relay Host, the direct ones
// without; the DNS checks of this system and its sender domain join here.

/** 'connection': only how mail leaves (Edit Settings' Check connection); 'all': the Troubleshooting page. */
export type CheckScope = 'all' | 'connection'

export function checkGroups(s: SettingsFields, _scope: CheckScope): CheckGroup[] {
  return [s.relayHost !== '' ? relayChecks : directChecks]
}
