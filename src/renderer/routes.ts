import { useEffect, useState } from 'react'

// Hash routes (#/queue …): the page works from a file, a dev server or the web adapter alike.

export const MENU = [
  { path: '/settings', label: 'Edit Settings' },
  { path: '/send-test', label: 'Send Test Email' },
  { path: '/queue', label: 'Mail Queue' },
  { path: '/delete-queue', label: 'Delete Queue' },
  { path: '/flush-queue', label: 'Flush Queue' },
  { path: '/mail-log', label: 'Mail Log' },
  { path: '/logs', label: 'Logs' },
  { path: '/report/today', label: "Today's Report" },
  { path: '/report/yesterday', label: "Yesterday's Report" },
  { path: '/troubleshooting', label: 'Troubleshooting' },
] as const

export type MenuPath = (typeof MENU)[number]['path']
export type RoutePath = '/' | MenuPath

export interface Route {
  path: RoutePath
  params: URLSearchParams
}

const KNOWN = new Set<string>(['/', ...MENU.map((m) => m.path)])

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '')
  const [path = '', query = ''] = raw.split('?', 2)
  const clean = path === '' ? '/' : path
  return { path: (KNOWN.has(clean) ? clean : '/') as RoutePath, params: new URLSearchParams(query) }
}

export function href(path: RoutePath, params?: Record<string, string>): string {
  const query = params ? `?${new URLSearchParams(params).toString()}` : ''
  return `#${path}${query}`
}

export function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash)
  useEffect(() => {
    const onChange = () => setHash(window.location.hash)
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return parseRoute(hash)
}
