// The one download helper. In the desktop window (Wails) a page cannot save
// files by itself, so the bound native helper shows a Save dialog; in a
// browser the usual blob + <a download> does it.
import { t } from './i18n.svelte'

export type NativeSaveFile = (name: string, base64Data: string) => Promise<string>

export interface DownloadResult {
  /** how the file was saved */
  via: 'native' | 'browser'
  /** false when the person cancelled the Save dialog */
  saved: boolean
  /** where the native helper wrote it ('' in a browser: the browser decides) */
  path: string
}

interface WailsWindow {
  go?: { desktop?: { Native?: { SaveFile?: unknown } } }
}

/** nativeSaveFile returns the desktop window's SaveFile helper, or null in a browser. */
export function nativeSaveFile(win: unknown): NativeSaveFile | null {
  const fn = (win as WailsWindow | null | undefined)?.go?.desktop?.Native?.SaveFile
  return typeof fn === 'function' ? (fn as NativeSaveFile) : null
}

/** bytesToBase64 encodes bytes as standard base64 (what SaveFile expects). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  }
  return btoa(binary)
}

/** browserDownload saves through the browser: an object URL and a temporary <a download>. */
export function browserDownload(name: string, blob: Blob, doc: Document = document): void {
  const url = URL.createObjectURL(blob)
  const a = doc.createElement('a')
  a.href = url
  a.download = name
  a.rel = 'noopener'
  a.style.display = 'none'
  doc.body.appendChild(a)
  a.click()
  a.remove()
  // Revoke later: some browsers start reading the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export interface DownloadEnv {
  win: unknown
  browser: (name: string, blob: Blob) => void
}

function defaultEnv(): DownloadEnv {
  return { win: globalThis, browser: (name, blob) => browserDownload(name, blob) }
}

/** downloadFile saves blob under name: natively in the desktop window, else through the browser. */
export async function downloadFile(name: string, blob: Blob, env: DownloadEnv = defaultEnv()): Promise<DownloadResult> {
  const save = nativeSaveFile(env.win)
  if (save) {
    const data = bytesToBase64(new Uint8Array(await blob.arrayBuffer()))
    const path = await save(name, data)
    return { via: 'native', saved: Boolean(path), path: path || '' }
  }
  env.browser(name, blob)
  return { via: 'browser', saved: true, path: '' }
}

/** saveDownload saves a file fetched from the API and says what happened, for a notice ('' when the Save dialog was cancelled). */
export async function saveDownload(f: { blob: Blob; name: string }): Promise<string> {
  const r = await downloadFile(f.name, f.blob)
  return r.via === 'native' ? (r.saved ? t('toast.savedTo', { path: r.path }) : '') : t('toast.downloaded', { name: f.name })
}
