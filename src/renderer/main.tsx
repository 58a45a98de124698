import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { pickApi } from './api/index.ts'
import { App } from './App.tsx'
import { createStores } from './stores/index.ts'
import './styles/index.css'

const root = document.getElementById('root')
if (!root) throw new Error('The page has no #root element.')
createRoot(root).render(
  <StrictMode>
    <App stores={createStores(pickApi())} />
  </StrictMode>,
)
