// The one way the UI talks to Rollcall: fetch('/api/...') with JSON, and
// every failure turned into an ApiError whose message a person can act on.
// Every request says the page's language (Accept-Language), so that the
// server's errors and import messages come out in it.

import { lang, t } from './i18n.svelte'

export type FieldErrors = Record<string, string>

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: FieldErrors

  constructor(status: number, code: string, message: string, details: FieldErrors = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

// The message keys (src/locales) for an HTTP status when the server sent no message.
const fallbackMessages: Record<number, string> = {
  0: 'api.unreachable',
  400: 'api.400',
  401: 'api.401',
  403: 'api.403',
  404: 'api.404',
  409: 'api.409',
  413: 'api.413',
  429: 'api.429',
  500: 'api.500',
  502: 'api.502',
  503: 'api.503',
}

const fallbackCodes: Record<number, string> = {
  0: 'network',
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'invalid',
  429: 'too_many_requests',
}

/** The message used when the server sent none. */
export function fallbackMessage(status: number): string {
  return fallbackMessages[status] ? t(fallbackMessages[status]) : t('api.other', { status })
}

/**
 * parseApiError turns an error response into an ApiError. The body is the
 * API's {code, message, details} when Rollcall itself answered; anything else
 * (a proxy's HTML page, an empty body) gets a message chosen by status.
 */
export function parseApiError(status: number, body: string): ApiError {
  let code = fallbackCodes[status] ?? (status >= 500 ? 'internal' : 'error')
  let message = ''
  const details: FieldErrors = {}
  try {
    const data: unknown = JSON.parse(body)
    if (data && typeof data === 'object') {
      const d = data as Record<string, unknown>
      if (typeof d.code === 'string' && d.code) code = d.code
      if (typeof d.message === 'string') message = d.message.trim()
      if (d.details && typeof d.details === 'object' && !Array.isArray(d.details)) {
        for (const [k, v] of Object.entries(d.details as Record<string, unknown>)) {
          if (typeof v === 'string' && v.trim()) details[k] = v.trim()
        }
      }
    }
  } catch {
    // not JSON: keep the fallback
  }
  return new ApiError(status, code, message || fallbackMessage(status), details)
}

/** errorMessage gives the text to show for anything thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error && e.message) return e.message
  return fallbackMessage(500)
}

/** fieldErrors returns the per-field messages of an error, or {}. */
export function fieldErrors(e: unknown): FieldErrors {
  return e instanceof ApiError ? e.details : {}
}

let unauthorizedHandler: ((e: ApiError) => void) | null = null

/** onUnauthorized registers what happens when a signed-in call gets 401. */
export function onUnauthorized(handler: ((e: ApiError) => void) | null): void {
  unauthorizedHandler = handler
}

let twoStepSetupHandler: (() => void) | null = null

/** twoStepSetupRequired is the API's code while the admin must set up two-step sign-in before anything else. */
export const twoStepSetupRequired = 'two_step_setup_required'

/** onTwoStepSetup registers what happens when a call answers that two-step sign-in must be set up first. */
export function onTwoStepSetup(handler: (() => void) | null): void {
  twoStepSetupHandler = handler
}

export interface RequestOptions {
  /** do not treat 401 as "the session ended" (sign-in, setup, session check) */
  quiet401?: boolean
  signal?: AbortSignal
  /** let the request finish even if the page is closed meanwhile (fetch keepalive) */
  keepalive?: boolean
}

/** A request body: JSON (the usual case) or raw bytes/text with their type (a file upload). */
export type Body = { json: unknown } | { raw: Blob | string | FormData; type: string } | undefined

// send is the one place that calls fetch: every failure, whatever the call,
// becomes an ApiError here.
async function send(method: string, path: string, body: Body, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': lang() }
  const init: RequestInit = { method, headers, credentials: 'same-origin', signal: opts.signal, keepalive: opts.keepalive }
  if (body && 'json' in body) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body.json)
  } else if (body) {
    // FormData sets its own multipart type, with the boundary
    if (!(body.raw instanceof FormData)) headers['Content-Type'] = body.type
    init.body = body.raw
  }
  let res: Response
  try {
    res = await fetch(path, init)
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError(0, 'network', fallbackMessage(0))
  }
  if (!res.ok) {
    let text = ''
    try {
      text = await res.text()
    } catch {
      // keep the fallback message
    }
    const err = parseApiError(res.status, text)
    if (res.status === 401 && !opts.quiet401 && unauthorizedHandler) unauthorizedHandler(err)
    if (res.status === 403 && err.code === twoStepSetupRequired && twoStepSetupHandler) twoStepSetupHandler()
    throw err
  }
  return res
}

/** request sends JSON and returns the decoded JSON answer (undefined for 204). */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  return decode<T>(await send(method, path, body === undefined ? undefined : { json: body }, opts))
}

/** upload sends raw bytes or text (a file, pasted lines) and returns the decoded JSON answer. */
export async function upload<T>(path: string, raw: Blob | string | FormData, type: string, opts: RequestOptions = {}): Promise<T> {
  return decode<T>(await send('POST', path, { raw, type }, opts))
}

async function decode<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T
  const text = await res.text()
  if (!text) return undefined as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ApiError(res.status, 'internal', t('api.unreadable'))
  }
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body, opts),
  put: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PUT', path, body, opts),
  del: (path: string, opts?: RequestOptions) => request<void>('DELETE', path, undefined, opts),
}

/** filenameFromDisposition reads the file name of a Content-Disposition header. */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)
  if (star) {
    try {
      return sanitizeFilename(decodeURIComponent(star[1].trim()), fallback)
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/.exec(header)
  if (plain) return sanitizeFilename((plain[1] ?? plain[2] ?? '').replace(/\\(.)/g, '$1').trim(), fallback)
  return fallback
}

function sanitizeFilename(name: string, fallback: string): string {
  const base = name.split(/[\\/]/).pop() ?? ''
  return base && base !== '.' && base !== '..' ? base : fallback
}

/** getFile downloads a file from the API: its bytes and its file name. */
export async function getFile(path: string, fallbackName: string): Promise<{ blob: Blob; name: string }> {
  return readFile(await send('GET', path, undefined, {}), fallbackName)
}

/** postFile downloads a file whose request needs a JSON body (an invite link's QR code: its token). */
export async function postFile(path: string, body: unknown, fallbackName: string): Promise<{ blob: Blob; name: string }> {
  return readFile(await send('POST', path, { json: body }, {}), fallbackName)
}

async function readFile(res: Response, fallbackName: string): Promise<{ blob: Blob; name: string }> {
  const blob = await res.blob()
  return { blob, name: filenameFromDisposition(res.headers.get('Content-Disposition'), fallbackName) }
}

/** orgPath builds /api/organizations/{org}/... with each segment escaped. */
export function orgPath(org: string, ...rest: string[]): string {
  return ['/api/organizations', org, ...rest].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/')
}
