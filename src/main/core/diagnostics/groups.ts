import type { SettingsFields } from '../../../shared/settings.ts'
import { directChecks } from './direct.ts'
import { dnsGroup, type DnsGroupOptions } from './dns/group.ts'
import { relayChecks } from './relay.ts'
import type { CheckGroup } from './run.ts'

// Which checks a run has: the relay's with a Relay Host, the direct ones
// without, and on the Troubleshooting page the DNS checks of this system and
// its sender domain.

/** 'connection': only how mail leaves (Edit Settings' Check connection); 'all': the Troubleshooting page. */
export type CheckScope = 'all' | 'connection'

export function checkGroups(s: SettingsFields, scope: CheckScope, dns: DnsGroupOptions = {}): CheckGroup[] {
  const connection = s.relayHost !== '' ? relayChecks : directChecks
  return scope === 'connection' ? [connection] : [connection, dnsGroup(dns)]
}
