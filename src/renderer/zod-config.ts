import { config } from 'zod'

// The page's CSP forbids eval; zod's probe for it would be reported as a violation.
// Imported first by main.tsx, so it runs before any schema is built.
config({ jitless: true })
