import { Resolver } from 'node:dns/promises'
import { afterAll } from 'vitest'
import { startDns, type TestDns, type ZoneEntry } from '../../../helpers/dns.ts'

// A real dns2 server on loopback for one test file, and a resolver pointed at it.

export async function zoneServer(zone: Record<string, ZoneEntry>): Promise<{ dns: TestDns; resolver: Resolver }> {
  const dns = await startDns(zone)
  afterAll(() => dns.close())
  const resolver = new Resolver({ timeout: 2000, tries: 2 })
  resolver.setServers([dns.server])
  return { dns, resolver }
}
