import { useState, type ReactNode } from 'react'
import type { ApiError, ApiRequest, SettingsChange } from '../../../shared/api.ts'
import { FIELD_LABELS } from '../../../shared/labels.ts'
import type { SettingsView } from '../../../shared/settings.ts'
import { useCurrentSystem } from '../../hooks/useCurrentSystem.ts'
import { useStores } from '../../stores/index.ts'
import { ConfirmDialog, Dialog } from '../Dialog.tsx'

// Edit Settings on a Postfix server: the main.cf lines a Submit would change,
// read by settings.preview, shown before anything is written, as an admin
// would diff main.cf before `postconf -e` and `postfix reload`; then Undo
// last save, which puts back the main.cf the save replaced.

export interface PostfixSaveOptions {
  view: SettingsView | null
  /** Saves as the page always does (settings.update); true when it was saved. */
  save(update: ApiRequest<'settings.update'>): Promise<boolean>
  /** An engine error, its field messages under their fields. */
  showError(error: ApiError): void
  /** The settings after an undo, for the form to start again from. */
  undone(view: SettingsView): void
}

export interface PostfixSave {
  /** systems.list has answered: the page knows which fields to offer. */
  ready: boolean
  /** The system shown is a Postfix server. */
  postfix: boolean
  /** Said in the page's status line: nothing to apply, or an undo done. */
  notice: string | null
  clearNotice(): void
  /** Postfix: asks settings.preview and shows the lines, or says there are none. */
  submit(update: ApiRequest<'settings.update'>): Promise<void>
  /** After a save made through submit: Undo last save is offered. */
  saved(): void
  /** Says, above the form, which server's main.cf it edits. */
  intro: ReactNode
  /** Undo last save, after a save on a Postfix server. */
  actions: ReactNode
  /** The preview and the undo confirmation, when open. */
  dialogs: ReactNode
}

export function usePostfixSave({ view, save, showError, undone }: PostfixSaveOptions): PostfixSave {
  const { api, settings } = useStores()
  const system = useCurrentSystem()
  const [pending, setPending] = useState<{ update: ApiRequest<'settings.update'>; changes: SettingsChange[]; kept: SettingsChange[] } | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [canUndo, setCanUndo] = useState(false)
  const [undoAsked, setUndoAsked] = useState(false)
  const [busy, setBusy] = useState(false)
  const postfix = system?.kind === 'postfix'
  const where = system?.where ?? ''

  async function submit(update: ApiRequest<'settings.update'>) {
    setNotice(null)
    setBusy(true)
    const result = await api['settings.preview'](update)
    setBusy(false)
    if (!result.ok) return showError(result.error)
    const kept = view ? keptBySmtpConsole(view, update) : []
    if (result.data.changes.length === 0 && kept.length === 0) {
      setNotice(`No changes to apply: main.cf on ${where} already says this. Nothing was saved.`)
      return
    }
    setPending({ update, changes: result.data.changes, kept })
  }

  async function apply(update: ApiRequest<'settings.update'>) {
    setBusy(true)
    await save(update)
    setBusy(false)
    setPending(null)
  }

  async function undo() {
    setBusy(true)
    const result = await settings.getState().undo()
    setBusy(false)
    setUndoAsked(false)
    if (!result.ok) return showError(result.error)
    setCanUndo(false)
    undone(result.data)
    setNotice(`The last save was undone: main.cf on ${where} is as it was before it.`)
  }

  return {
    ready: system !== undefined,
    postfix,
    notice,
    clearNotice: () => setNotice(null),
    submit,
    saved: () => {
      setNotice(null)
      if (postfix) setCanUndo(true)
    },
    intro: postfix ? (
      <p className="notice postfix-intro" role="note">
        Postfix on {where}: Submit shows the main.cf lines that change before anything is applied.
      </p>
    ) : null,
    actions:
      postfix && canUndo ? (
        <button type="button" onClick={() => setUndoAsked(true)} disabled={busy}>
          Undo last save
        </button>
      ) : null,
    dialogs: (
      <>
        {pending && (
          <PostfixChangesDialog where={where} changes={pending.changes} kept={pending.kept} busy={busy} onApply={() => void apply(pending.update)} onCancel={() => setPending(null)} />
        )}
        {undoAsked && (
          <ConfirmDialog title={`Undo the last save on ${where}?`} confirmLabel="Undo last save" busy={busy} onConfirm={() => void undo()} onCancel={() => setUndoAsked(false)}>
            <p>main.cf and the SASL password map as they were before the last save are put back, and Postfix is reloaded.</p>
          </ConfirmDialog>
        )}
      </>
    ),
  }
}

/** From Name and From Address: a Postfix server's test mail uses them, but main.cf has no line for them, so settings.preview does not list them. */
export function keptBySmtpConsole(view: SettingsView, update: ApiRequest<'settings.update'>): SettingsChange[] {
  return (['fromName', 'fromAddress'] as const)
    .filter((k) => update.settings[k] !== undefined && update.settings[k] !== view.settings[k])
    .map((k) => ({ name: FIELD_LABELS[k], from: view.settings[k], to: String(update.settings[k]) }))
}

/** What the form leaves out on a Postfix server, and where the admin sets it instead. */
export function PostfixOwnNote() {
  return (
    <p className="muted postfix-own" id="settings-postfix-own">
      On a Postfix server, retries, queue lifetime, concurrency, timeouts and the message size limit are Postfix’s own (minimal_backoff_time,
      maximal_queue_lifetime, default_destination_concurrency_limit, smtp_connect_timeout, message_size_limit…): SMTP Console does not change
      them. DKIM signing (a milter such as OpenDKIM), local submission (Postfix’s own smtpd and sendmail) and alerts are not set up from here.
    </p>
  )
}

/** Its children on this computer's engine; `instead` on a Postfix server, which would refuse or ignore them. */
export function NotOnPostfix({ postfix, instead = null, children }: { postfix: boolean; instead?: ReactNode; children: ReactNode }) {
  return <>{postfix ? instead : children}</>
}


export interface PostfixChangesProps {
  /** Where the server is, in the admin's words ("this computer", "admin@mail1:22"). */
  where: string
  /** The main.cf lines (and the password map's line) from settings.preview. */
  changes: SettingsChange[]
  /** What SMTP Console keeps itself for this server (main.cf has no parameter for it). */
  kept: SettingsChange[]
  busy: boolean
  onApply(): void
  onCancel(): void
}

export function PostfixChangesDialog({ where, changes, kept, busy, onApply, onCancel }: PostfixChangesProps) {
  const title = changes.length ? `Apply these changes to main.cf on ${where}?` : `Save these changes for ${where}?`
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      wide
      initialFocus="[data-cancel]"
      actions={
        <>
          <button type="button" className="primary" disabled={busy} onClick={onApply}>
            Apply
          </button>
          <button type="button" data-cancel="" onClick={onCancel}>
            Cancel
          </button>
        </>
      }
    >
      {changes.length > 0 && (
        <>
          <ChangeTable caption="main.cf" heading="Line" changes={changes} />
          <p className="muted">Postfix is reloaded when it runs. The main.cf this replaces is kept for Undo last save.</p>
        </>
      )}
      {kept.length > 0 && (
        <>
          {changes.length === 0 && <p>main.cf does not change.</p>}
          <ChangeTable caption="Kept by SMTP Console for test mail (main.cf has no parameter for these)" heading="Field" changes={kept} />
        </>
      )}
    </Dialog>
  )
}

function ChangeTable({ caption, heading, changes }: { caption: string; heading: string; changes: SettingsChange[] }) {
  return (
    <table className="change-table">
      <caption>{caption}</caption>
      <colgroup>
        <col className="change-name" />
        <col className="change-value" />
        <col className="change-arrow" />
        <col className="change-value" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">{heading}</th>
          <th scope="col">Now</th>
          <th scope="col" aria-label="becomes" />
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.name}>
            <th scope="row">
              {/* The password map is a file beside main.cf, named by its path. */}
              {c.name.startsWith('/') && <span className="muted">SASL password map </span>}
              <code>{c.name}</code>
            </th>
            <td>{c.from === '' ? <span className="muted">(blank)</span> : <code>{c.from}</code>}</td>
            <td aria-hidden="true">→</td>
            <td>{c.to === '' ? <span className="muted">(blank)</span> : <code>{c.to}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
