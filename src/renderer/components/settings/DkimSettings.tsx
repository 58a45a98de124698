import { useState } from 'react'
import { SettingsRow as Row } from './SettingsRow.tsx'
import { DKIM_KEY_CHOICE_LABELS, DKIM_KEY_CHOICES, dkimRecord, dkimSigningDomain, dkimZoneLine, isDkimSelector, type DkimKeyChoice, type DkimKeyView, type DkimRecord } from '../../../shared/dkim.ts'
import { DKIM_KEY_LABEL, FIELD_LABELS } from '../../../shared/labels.ts'
import type { SettingsView } from '../../../shared/settings.ts'
import type { Draft, FieldErrors } from '../../forms/SettingsForm.ts'
import { useStores } from '../../stores/index.ts'

// Advanced → DKIM on Edit Settings: Sign with DKIM, the domain and selector,
// the key (generated in the main process or pasted; never shown once saved)
// and the TXT record to publish, ready to copy.

type InputProps = (key: string) => { id: string; 'aria-invalid': boolean | undefined; 'aria-describedby': string }

interface Props {
  draft: Draft
  view: SettingsView
  errors: FieldErrors
  input: InputProps
  change<K extends keyof Draft>(key: K, value: Draft[K]): void
}

const keyWords = (key: DkimKeyView) => (key.algorithm === 'ed25519' ? 'Ed25519' : `RSA, ${key.bits} bits`)

/** What the draft will leave as the key, in one sentence. */
function keyStatus(draft: Draft, saved: DkimKeyView | null): string {
  if (draft.clearDkimKey) return 'The saved key is removed when you Submit.'
  if (draft.dkimGenerated) {
    const { algorithm, bits } = draft.dkimGenerated.key
    const made = `A new ${algorithm === 'ed25519' ? 'Ed25519' : `RSA ${bits}-bit`} key was generated; Submit saves it.`
    return saved ? `${made} It replaces the saved key: publish its record first, or give it a new selector, so mail signed with either verifies.` : `${made} Publish its record below.`
  }
  if (draft.dkimPem.trim() !== '') return 'The pasted key is checked and saved when you Submit; its record is shown then.'
  return saved ? `A key is set: ${keyWords(saved)}. The private key is never shown.` : 'No DKIM key is set.'
}

export function DkimSettings({ draft, view, errors, input, change }: Props) {
  const { api } = useStores()
  const [choice, setChoice] = useState<DkimKeyChoice>('rsa-2048')
  const [busy, setBusy] = useState(false)
  const [generateError, setGenerateError] = useState<string | null>(null)
  const saved = view.dkim.key
  const fromDomain = dkimSigningDomain({ dkimDomain: '', fromAddress: draft.fromAddress })
  const domain = dkimSigningDomain(draft)
  const selector = draft.dkimSelector.trim().toLowerCase()
  // The record follows the draft: a new key, selector or domain shows what to publish before Submit.
  const key = draft.dkimGenerated?.key ?? (draft.clearDkimKey || draft.dkimPem.trim() !== '' ? null : saved)
  const record = key && domain && isDkimSelector(selector) ? dkimRecord(selector, domain, key) : null

  async function generate() {
    setBusy(true)
    setGenerateError(null)
    try {
      const result = await api['dkim.generateKey']({ algorithm: choice })
      if (!result.ok) return setGenerateError(`No key was generated: ${result.error.message}`)
      change('dkimGenerated', result.data)
      change('dkimPem', '')
      change('clearDkimKey', false)
    } finally {
      setBusy(false)
    }
  }

  return (
    <fieldset className="dkim" aria-labelledby="settings-dkim-legend">
      <legend id="settings-dkim-legend">DKIM</legend>
      <Row label={FIELD_LABELS.dkimEnabled} field="dkimEnabled" error={errors.dkimEnabled} check hint="Adds a DKIM-Signature to every message, test emails included, so receivers can tell it comes from your domain. Gmail, Yahoo and Microsoft ask for SPF or DKIM of every sender.">
        <input type="checkbox" {...input('dkimEnabled')} checked={draft.dkimEnabled} onChange={(e) => change('dkimEnabled', e.target.checked)} />
      </Row>
      <Row
        label={FIELD_LABELS.dkimDomain}
        field="dkimDomain"
        error={errors.dkimDomain}
        hint={`Blank: ${fromDomain ?? 'the From Address’s domain'}. Otherwise the From Address’s domain or a parent of it, so DMARC counts the signature.`}
      >
        <input type="text" {...input('dkimDomain')} value={draft.dkimDomain} placeholder={fromDomain ?? ''} onChange={(e) => change('dkimDomain', e.target.value)} autoComplete="off" spellCheck={false} />
      </Row>
      <Row label={FIELD_LABELS.dkimSelector} field="dkimSelector" error={errors.dkimSelector} hint="The name the key is published under in DNS. A new key under a new selector lets mail signed with the old one still verify.">
        <input type="text" className="short" {...input('dkimSelector')} value={draft.dkimSelector} placeholder="mail2025" onChange={(e) => change('dkimSelector', e.target.value)} autoComplete="off" spellCheck={false} />
      </Row>

      <div className="row">
        <span className="label">{DKIM_KEY_LABEL}</span>
        <div className="row-control">
          <p className="dkim-key-status" role="status">
            {keyStatus(draft, saved)}
          </p>
          {saved?.warning && !draft.dkimGenerated && !draft.clearDkimKey && (
            <p className="notice notice-warning" role="note">
              {saved.warning}
            </p>
          )}
          <div className="dkim-generate">
            <select aria-label="Key type" value={choice} onChange={(e) => setChoice(e.target.value as DkimKeyChoice)}>
              {DKIM_KEY_CHOICES.map((c) => (
                <option key={c} value={c}>
                  {DKIM_KEY_CHOICE_LABELS[c]}
                </option>
              ))}
            </select>
            <button type="button" onClick={() => void generate()} disabled={busy}>
              {busy ? 'Generating…' : 'Generate key'}
            </button>
          </div>
          {choice === 'ed25519' && <p className="hint">Not every receiver verifies Ed25519 signatures yet; RSA 2048 is verified everywhere.</p>}
          {generateError && (
            <p className="field-error" role="alert">
              {generateError}
            </p>
          )}
        </div>
      </div>
      <Row label="Or paste a private key" field="dkimKey" error={errors.dkimKey} hint="PEM, RSA (2048 bits or more) or Ed25519, without a passphrase. It is stored encrypted like the Password and never shown again.">
        <textarea
          {...input('dkimKey')}
          rows={3}
          value={draft.dkimPem}
          placeholder="-----BEGIN PRIVATE KEY-----"
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => {
            change('dkimPem', e.target.value)
            if (e.target.value.trim() !== '') change('dkimGenerated', null)
          }}
        />
      </Row>
      {saved && (
        <Row label="Clear DKIM key" field="clearDkimKey" check hint="Removes the saved key when you Submit (turn off Sign with DKIM first).">
          <input type="checkbox" {...input('clearDkimKey')} checked={draft.clearDkimKey} onChange={(e) => change('clearDkimKey', e.target.checked)} />
        </Row>
      )}
      <DkimRecordView record={record} missing={!key ? null : !domain ? 'The From Address has no domain to publish under.' : 'Enter the DKIM selector to see the record to publish.'} />
    </fieldset>
  )
}

function DkimRecordView({ record, missing }: { record: DkimRecord | null; missing: string | null }) {
  if (!record) return missing ? <p className="hint dkim-record-missing">{missing}</p> : null
  return (
    <section className="dkim-record" aria-label="DNS record to publish">
      <p>Publish this TXT record in the DNS of {record.name.slice(record.name.indexOf('._domainkey.') + 12)}:</p>
      <dl>
        <dt>Name</dt>
        <dd>
          <code data-testid="dkim-record-name">{record.name}</code> <CopyButton text={record.name} what="name" />
        </dd>
        <dt>Type</dt>
        <dd>TXT</dd>
        <dt>Value</dt>
        <dd>
          <code data-testid="dkim-record-value">{record.value}</code> <CopyButton text={record.value} what="value" />
        </dd>
        {record.strings.length > 1 && (
          <>
            <dt>Zone file</dt>
            <dd>
              <code data-testid="dkim-record-zone">{dkimZoneLine(record)}</code> <CopyButton text={dkimZoneLine(record)} what="zone file line" />
              <p className="hint">The value is longer than one DNS string (255 characters): most DNS panels split it themselves; a zone file takes it as quoted strings, as here.</p>
            </dd>
          </>
        )}
      </dl>
    </section>
  )
}

function CopyButton({ text, what }: { text: string; what: string }) {
  const [note, setNote] = useState('')
  async function copy() {
    try {
      if (!navigator.clipboard?.writeText) throw new Error('this window has no access to the clipboard; select the text and copy it')
      await navigator.clipboard.writeText(text)
      setNote('Copied.')
    } catch (err) {
      setNote(`Not copied: ${(err as Error).message}.`)
    }
  }
  return (
    <>
      <button type="button" className="copy" aria-label={`Copy ${what}`} onClick={() => void copy()}>
        Copy
      </button>
      <span role="status" className="dkim-copied">
        {note}
      </span>
    </>
  )
}

