import { useEffect, useId, useRef, useState } from 'react'

// A filter text box that asks the engine only once the admin pauses typing.

export const SEARCH_DEBOUNCE_MS = 300

export function SearchBox({
  value,
  onSearch,
  placeholder,
  label = 'Search',
  type = 'search',
}: {
  value: string
  onSearch(text: string): void
  placeholder?: string
  label?: string
  type?: 'search' | 'number'
}) {
  const id = useId()
  const [text, setText] = useState(value)
  const onSearchRef = useRef(onSearch)
  onSearchRef.current = onSearch
  const sent = useRef(value)

  useEffect(() => {
    if (text === sent.current) return
    const timer = setTimeout(() => {
      sent.current = text
      onSearchRef.current(text)
    }, SEARCH_DEBOUNCE_MS)
    return () => clearTimeout(timer)
  }, [text])

  return (
    <span className="filter">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={type} value={text} placeholder={placeholder} onChange={(e) => setText(e.target.value)} />
    </span>
  )
}

export function FilterSelect<V extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string
  value: V | ''
  options: readonly V[]
  onChange(value: V | ''): void
}) {
  const id = useId()
  return (
    <span className="filter">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as V | '')}>
        <option value="">All</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </span>
  )
}
