import type { ReactNode } from 'react'
import type { ApiError } from '../../shared/api.ts'
import type { Explanation } from '../../shared/types.ts'

// How the console shows trouble: the API's message, and the decoded cause and fix where there is one.

export function ErrorNotice({ error, title }: { error: ApiError | null; title?: string }) {
  if (!error) return null
  const fields = error.fields ? Object.entries(error.fields).filter(([, m]) => m !== error.message) : []
  return (
    <div className="notice notice-error" role="alert">
      {title && <strong>{title} </strong>}
      {error.message}
      {fields.length > 0 && (
        <ul>
          {fields.map(([key, message]) => (
            <li key={key}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  )
}

export function ExplanationBox({ explanation, reply }: { explanation: Explanation | null | undefined; reply?: string | null }) {
  if (!explanation && !reply) return null
  return (
    <div className="explanation">
      {explanation && (
        <>
          <p className="explanation-summary">{explanation.summary}</p>
          <p className="explanation-fix">
            <strong>What to try: </strong>
            {explanation.fix}
          </p>
        </>
      )}
      {/* With a decoded cause, the raw text (OpenSSL's, Node's) is one click away rather than leading. */}
      {reply && explanation && (
        <details className="explanation-reply raw-reply">
          <summary>Server reply</summary>
          <code>{reply}</code>
        </details>
      )}
      {reply && !explanation && (
        <p className="explanation-reply">
          <strong>Server reply: </strong>
          <code>{reply}</code>
        </p>
      )}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>
}
