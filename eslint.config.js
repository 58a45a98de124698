import tseslint from 'typescript-eslint'

// Lint: TypeScript's recommended rules, a few type-aware ones, and the rules
// that keep the rooms: only the desktop shell imports 'electron'; the engine
// imports neither the adapters nor the renderer; the renderer and the contract
// import nothing of the main process.

const ELECTRON = { name: 'electron', message: "Only src/main/electron may import 'electron': the engine, the web adapter and the renderer run without it." }

/** What no file of the engine may import: the adapters and the renderer. */
const CORE_FORBIDDEN = ['**/main/web/**', '**/main/electron/**', '**/renderer/**', '../../web/**', '../../electron/**', '../web/**', '../electron/**']

/** The imports a room may not make, as import-path patterns. */
function room(files, forbidden, message, electronAllowed = false) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { paths: electronAllowed ? [] : [ELECTRON], patterns: forbidden.length ? [{ group: forbidden, message }] : [] }],
    },
  }
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'release/**', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  // Type-aware rules where the code is type-checked: a promise passed where nothing awaits it, and casts that do nothing.
  {
    files: ['src/**/*.{ts,tsx}', 'test/**/*.{ts,tsx}', 'bench/**/*.ts', 'scripts/**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.json', './tsconfig.electron.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      complexity: ['warn', 25],
    },
  },
  room(['**/*.{ts,tsx,js,mjs,cjs}'], [], ''),
  room(['src/main/electron/**'], ['**/renderer/**', '**/web/**'], 'The desktop shell serves the engine over IPC; it does not reach into the renderer or the web adapter.', true),
  room(['src/main/core/**'], CORE_FORBIDDEN, 'The engine (src/main/core) runs without its adapters and the renderer: they import it, never the other way.'),
  // The oauth room gets tokens and keeps them out of sight; it knows nothing of sessions, the queue or storage.
  room(['src/main/core/oauth/**'], [...CORE_FORBIDDEN, ...['delivery', 'engine', 'errors', 'logs', 'queue', 'reports', 'settings', 'storage'].map((r) => `../${r}/**`)], 'The oauth room (src/main/core/oauth) fetches and keeps access tokens: it imports only src/shared and Node, and the other rooms import it.'),
  // The checks only look: no queue, storage, log or settings store (the handler hands them the settings), and never an adapter.
  room(
    ['src/main/core/diagnostics/**'],
    ['**/main/web/**', '**/main/electron/**', '**/renderer/**', '../../web/**', '../../electron/**', '**/queue/**', '**/storage/**', '**/logs/**', '**/engine/**', '**/settings/**', '**/delivery/worker*', '**/delivery/session*'],
    'The Troubleshooting checks (src/main/core/diagnostics) only look and never send: they import no queue, storage, log, settings store, engine, delivery worker or session, nor an adapter.',
  ),
  // The alerts only look at the queue and say what to show: no storage, delivery, settings store, log or adapter.
  room(
    ['src/main/core/alerts/**'],
    [...CORE_FORBIDDEN, ...['delivery', 'engine', 'logs', 'oauth', 'reports', 'settings', 'storage', 'diagnostics'].map((r) => `../${r}/**`)],
    'The alerts room (src/main/core/alerts) looks at the queue and decides what to show: it imports src/shared, the queue and the errors rooms, nothing that writes or sends.',
  ),
  // The Postfix backend drives a real Postfix through its own tools; it keeps its log index with the
  // embedded engine's logs, reports and storage rooms, and never imports the engine's queue, delivery or adapters.
  room(
    ['src/main/postfix/**'],
    ['**/main/web/**', '**/main/electron/**', '**/renderer/**', '../web/**', '../electron/**', '../../web/**', '../../electron/**', '**/core/queue/**', '**/core/delivery/**', '**/core/listener/**', '**/core/engine/engine.ts', '**/core/engine/handlers.ts'],
    'The Postfix backend (src/main/postfix) works through Postfix’s own tools: it may use the log, report and storage rooms for its local index, never the embedded queue, delivery, listener or an adapter.',
  ),
  // The systems room opens each system's engine (this computer's, or a Postfix backend) and routes calls to it.
  room(['src/main/systems/**'], ['**/main/web/**', '**/main/electron/**', '**/renderer/**', '../web/**', '../electron/**'], 'The systems room (src/main/systems) routes calls to each system’s engine; the adapters import it, never the other way.'),
  room(['src/main/web/**'], ['**/electron/**', '**/renderer/**'], 'The web adapter serves the engine over HTTP; it does not import the desktop shell or the renderer.'),
  room(['src/renderer/**'], ['**/main/**'], 'The renderer talks to the engine only through the API object; it imports src/shared, never the main process.'),
  room(['src/shared/**'], ['**/main/**', '**/renderer/**', 'node:*'], 'src/shared is the contract: no Node, no main process, no renderer.'),
)
