import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react'

// A modal dialog: focus moves in, Tab stays inside, Escape closes, and focus
// returns to the control that opened it.

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

export interface DialogProps {
  title: string
  onClose(): void
  children: ReactNode
  /** Footer buttons. */
  actions?: ReactNode
  wide?: boolean
  /** Selector of the element to focus first; the first button of the footer otherwise. */
  initialFocus?: string
}

export function Dialog({ title, onClose, children, actions, wide, initialFocus }: DialogProps) {
  const titleId = useId()
  const ref = useRef<HTMLDivElement>(null)
  const onCloseRef = useRef(onClose)
  onCloseRef.current = onClose

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    const box = ref.current
    const first =
      (initialFocus ? box?.querySelector<HTMLElement>(initialFocus) : null) ??
      box?.querySelector<HTMLElement>('.dialog-actions button') ??
      box?.querySelector<HTMLElement>(FOCUSABLE)
    first?.focus()
    return () => {
      if (opener && opener.isConnected) opener.focus()
    }
  }, [initialFocus])

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key === 'Escape') {
      event.stopPropagation()
      onCloseRef.current()
      return
    }
    if (event.key !== 'Tab' || !ref.current) return
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)]
    if (items.length === 0) return
    const first = items[0]!
    const last = items[items.length - 1]!
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault()
      first.focus()
    }
  }

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCloseRef.current()}>
      <div
        ref={ref}
        className={wide ? 'dialog dialog-wide' : 'dialog'}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        <div className="dialog-body">{children}</div>
        {actions && <div className="dialog-actions">{actions}</div>}
      </div>
    </div>
  )
}

export interface ConfirmProps {
  title: string
  children: ReactNode
  confirmLabel: string
  cancelLabel?: string
  busy?: boolean
  danger?: boolean
  onConfirm(): void
  onCancel(): void
}

/** Asks before a destructive action; Cancel has the focus so Enter alone does no harm. */
export function ConfirmDialog({ title, children, confirmLabel, cancelLabel = 'Cancel', busy, danger, onConfirm, onCancel }: ConfirmProps) {
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      initialFocus="[data-cancel]"
      actions={
        <>
          <button type="button" className={danger ? 'danger' : 'primary'} disabled={busy} onClick={onConfirm}>
            {confirmLabel}
          </button>
          <button type="button" data-cancel="" onClick={onCancel}>
            {cancelLabel}
          </button>
        </>
      }
    >
      {children}
    </Dialog>
  )
}
