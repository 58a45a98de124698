import { useState, type FormEvent } from 'react'
import type { ApiError } from '../../../shared/api.ts'
import type { HostKeyQuestion, SystemInfo } from '../../../shared/systems.ts'
import { useStores } from '../../stores/index.ts'
import { Dialog } from '../Dialog.tsx'

// Adds a Postfix server: on this computer (its default instance, or another
// configuration directory) or over SSH. A server whose host key is new is
// shown with the key's fingerprint, to be compared with what its admin
// reads on it, and is opened only once the key is accepted.

interface Draft {
  name: string
  ssh: string
  configDir: string
  identityFile: string
}

export function AddSystemDialog({ onClose, onAdded }: { onClose(): void; onAdded(system: SystemInfo): void }) {
  const { api } = useStores()
  const [draft, setDraft] = useState<Draft>({ name: '', ssh: '', configDir: '', identityFile: '' })
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  const [question, setQuestion] = useState<{ system: SystemInfo; hostKey: HostKeyQuestion } | null>(null)

  async function add(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    const r = await api['systems.add']({ kind: 'postfix', ...draft })
    setBusy(false)
    if (!r.ok) return setError(r.error)
    if (r.data.hostKey) setQuestion({ system: r.data.system, hostKey: r.data.hostKey })
    else onAdded(r.data.system)
  }

  async function accept() {
    if (!question) return
    setBusy(true)
    const r = await api['systems.acceptHostKey']({ id: question.system.id, fingerprint: question.hostKey.fingerprint })
    setBusy(false)
    if (!r.ok) return setError(r.error)
    onAdded(r.data.system)
  }

  /** Not accepted: the server is not kept, so no command ever runs on a key nobody checked. */
  async function refuse() {
    if (question) await api['systems.remove']({ id: question.system.id })
    onClose()
  }

  if (question) {
    return (
      <Dialog
        title={`Accept the host key of ${question.hostKey.where}?`}
        onClose={() => void refuse()}
        actions={
          <>
            <button type="button" onClick={() => void refuse()}>
              Cancel
            </button>
            <button type="button" className="primary" disabled={busy} onClick={() => void accept()}>
              Accept key
            </button>
          </>
        }
      >
        <p>SMTP Console has not connected to this server before. It offers the key with this fingerprint:</p>
        <p>
          <code className="fingerprint">{question.hostKey.fingerprint}</code>
        </p>
        <p className="muted">
          Compare it with what the server shows (<code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> there) before you accept. A key that changes later is refused.
        </p>
        {error && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
      </Dialog>
    )
  }

  const field = (key: keyof Draft, label: string, hint: string, placeholder = '') => (
    <div className="field">
      <label htmlFor={`system-${key}`}>{label}</label>
      <input
        id={`system-${key}`}
        value={draft[key]}
        placeholder={placeholder}
        aria-describedby={`system-${key}-hint${error?.fields?.[key] ? ` system-${key}-error` : ''}`}
        aria-invalid={error?.fields?.[key] ? true : undefined}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
      <p id={`system-${key}-hint`} className="hint">
        {hint}
      </p>
      {error?.fields?.[key] && (
        <p id={`system-${key}-error`} className="field-error">
          {error.fields[key]}
        </p>
      )}
    </div>
  )

  return (
    <Dialog
      title="Add a Postfix server"
      onClose={onClose}
      initialFocus="#system-name"
      actions={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="add-system" className="primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add'}
          </button>
        </>
      }
    >
      <form id="add-system" className="add-system" onSubmit={(e) => void add(e)} noValidate>
        {field('name', 'Name', 'How the System list calls it.', 'mail1')}
        {field('ssh', 'SSH', 'user@host or user@host:port; leave blank for the Postfix on this computer.', 'admin@mail1.example.net')}
        {field('configDir', 'Configuration directory', 'Leave blank for the server’s own (/etc/postfix); another for a second instance.', '/etc/postfix')}
        {field('identityFile', 'Key file', 'The SSH key to sign in with; blank uses ssh’s own (the agent, ~/.ssh).', '~/.ssh/id_ed25519')}
        {error && !error.fields && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
      </form>
    </Dialog>
  )
}
