// The Content-Security-Policy of the console's page. It loads nothing from
// outside the app: its own scripts and styles, data: images, and no frames,
// plugins or base rewrites. 'self' is the page's origin: smtp-console://app in
// the installed app (whose handler sends the policy with every file), the dev
// server in development. The dev server needs one relaxation: the React
// refresh preamble is an inline module script.

const PRODUCTION_POLICY: ReadonlyArray<readonly [string, ...string[]]> = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  ['style-src', "'self'", "'unsafe-inline'"],
  ['img-src', "'self'", 'data:'],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
]

export function contentSecurityPolicy(options: { devServer: boolean }): string {
  return PRODUCTION_POLICY.map(([directive, ...sources]) => {
    const all = options.devServer && directive === 'script-src' ? [...sources, "'unsafe-inline'"] : sources
    return `${directive} ${all.join(' ')}`
  }).join('; ')
}

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
