import { lazy, Suspense, useEffect, useRef } from 'react'
import { DashboardPage } from './pages/Dashboard.tsx'
import { LogsPage, MailLogPage } from './pages/LogPages.tsx'
import { QueuePage } from './pages/QueuePage.tsx'
import { DeleteQueuePage, FlushQueuePage } from './pages/QueueToolsPages.tsx'
import { ReportPage, reportTitle } from './pages/ReportPage.tsx'
import { AlertBanners } from './components/AlertBanners.tsx'
import { SystemSwitcher } from './components/systems/SystemSwitcher.tsx'
import { MENU, href, useRoute, type Route, type RoutePath } from './routes.ts'
import { StoresContext, type Stores } from './stores/index.ts'

// The SMTP Dashboard: the seed's left menu and the page it points to.

export function App({ stores }: { stores: Stores }) {
  useEffect(() => stores.connect(), [stores])
  return (
    <StoresContext.Provider value={stores}>
      <Shell />
    </StoresContext.Provider>
  )
}

const TITLES: Record<RoutePath, string> = {
  '/': 'SMTP Dashboard',
  ...(Object.fromEntries(MENU.map((m) => [m.path, m.label])) as Record<(typeof MENU)[number]['path'], string>),
}

function Shell() {
  const route = useRoute()
  const title = titleOf(route)
  const heading = useRef<HTMLHeadingElement>(null)
  const first = useRef(true)

  // A new page announces itself: the title changes and keyboard focus moves to its heading. Another day of a
  // report renames the page but keeps focus where the admin picked it.
  useEffect(() => {
    document.title = `${title} — SMTP Console`
  }, [title])
  useEffect(() => {
    if (first.current) first.current = false
    else heading.current?.focus()
  }, [route.path])

  return (
    <div className="app">
      {/* Keyboard users reach the page in one Tab instead of thirteen; the hash stays the route's. */}
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault()
          heading.current?.focus()
        }}
      >
        Skip to main content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-name">SMTP Console</span>
        </div>
        <SystemSwitcher />
        <nav aria-label="SMTP Dashboard">
          <ul>
            <MenuLink path="/" label="Dashboard" current={route.path} />
            {MENU.map((m) => (
              <MenuLink key={m.path} path={m.path} label={m.label} current={route.path} />
            ))}
          </ul>
        </nav>
      </aside>
      <main className="content" id="main">
        <AlertBanners />
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <PageFor route={route} />
      </main>
    </div>
  )
}

function titleOf(route: Route): string {
  if (route.path === '/report/today') return reportTitle('today', route.params.get('day')) ?? TITLES[route.path]
  if (route.path === '/report/yesterday') return reportTitle('yesterday', route.params.get('day')) ?? TITLES[route.path]
  return TITLES[route.path]
}

function MenuLink({ path, label, current }: { path: RoutePath; label: string; current: RoutePath }) {
  return (
    <li>
      <a href={href(path)} aria-current={path === current ? 'page' : undefined}>
        {label}
      </a>
    </li>
  )
}

// The two forms and Troubleshooting validate with the shared zod schemas; loading them on first use keeps zod out of
// the bundle the dashboard waits for.
const SettingsPage = lazy(() => import('./pages/SettingsPage.tsx').then((m) => ({ default: m.SettingsPage })))
const SendTestPage = lazy(() => import('./pages/SendTestPage.tsx').then((m) => ({ default: m.SendTestPage })))
const TroubleshootingPage = lazy(() => import('./pages/TroubleshootingPage.tsx').then((m) => ({ default: m.TroubleshootingPage })))

function PageFor({ route }: { route: Route }) {
  switch (route.path) {
    case '/':
      return <DashboardPage />
    case '/settings':
      return (
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <SettingsPage focus={route.params.get('focus')} />
        </Suspense>
      )
    case '/send-test':
      return (
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <SendTestPage />
        </Suspense>
      )
    case '/queue':
      return <QueuePage />
    case '/delete-queue':
      return <DeleteQueuePage />
    case '/flush-queue':
      return <FlushQueuePage />
    case '/mail-log':
      return <MailLogPage />
    case '/logs':
      return <LogsPage />
    case '/report/today':
      return <ReportPage key="today" day="today" dayParam={route.params.get('day')} />
    case '/report/yesterday':
      return <ReportPage key="yesterday" day="yesterday" dayParam={route.params.get('day')} />
    case '/troubleshooting':
      return (
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <TroubleshootingPage />
        </Suspense>
      )
  }
}
