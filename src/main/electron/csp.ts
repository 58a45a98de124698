// The Content-Security-Policy of the console's page, as the installed app's
// protocol handler and the dev session send it. The directives are shared with
// the web adapter (src/shared/wire.ts); this file sets them on responses.

export { contentSecurityPolicy } from '../../shared/wire.ts'

/** Response headers with the policy set, replacing any policy the response carried in whatever case. */
export function withContentSecurityPolicy(
  headers: Readonly<Record<string, string[]>> | undefined,
  policy: string,
): Record<string, string[]> {
  const result: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value
  }
  result['Content-Security-Policy'] = [policy]
  return result
}
