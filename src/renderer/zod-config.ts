import { config } from 'zod'

// The page's CSP forbids eval; zod's probe for it would be reported as a violation.
// Imported first by the pages that validate (they load on demand), so it runs before any schema is built.
config({ jitless: true })
