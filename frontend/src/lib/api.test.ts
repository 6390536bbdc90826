import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, errorMessage, fieldErrors, filenameFromDisposition, getFile, onUnauthorized, orgPath, parseApiError, postFile, request, upload } from './api'
import { useLanguage } from './i18n.svelte'

describe('parseApiError', () => {
  it('reads the API error shape', () => {
    const e = parseApiError(
      409,
      JSON.stringify({ code: 'conflict', message: 'The username "anna" is already taken; choose another.', details: { username: 'The username "anna" is already taken; choose another.' } }),
    )
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(409)
    expect(e.code).toBe('conflict')
    expect(e.message).toBe('The username "anna" is already taken; choose another.')
    expect(e.details).toEqual({ username: 'The username "anna" is already taken; choose another.' })
  })

  it('keeps every field of details and drops what is not text', () => {
    const e = parseApiError(400, JSON.stringify({ code: 'invalid', message: 'The first name is required.', details: { first_name: 'The first name is required.', email: 'bad', n: 3, x: null } }))
    expect(e.details).toEqual({ first_name: 'The first name is required.', email: 'bad' })
  })

  it('shows 429 messages as given', () => {
    const e = parseApiError(429, '{"code":"too_many_requests","message":"Too many failed sign-ins. Wait 15 minutes and try again."}')
    expect(e.message).toBe('Too many failed sign-ins. Wait 15 minutes and try again.')
    expect(e.code).toBe('too_many_requests')
  })

  it('falls back to a message by status when the body is not the API shape', () => {
    expect(parseApiError(502, '<html>Bad gateway</html>').message).toMatch(/could not be reached/)
    expect(parseApiError(500, '').message).toMatch(/Something went wrong inside Rollcall/)
    expect(parseApiError(500, '').code).toBe('internal')
    expect(parseApiError(413, '{}').message).toBe('The request is too large.')
    expect(parseApiError(418, 'null').message).toMatch(/HTTP 418/)
    expect(parseApiError(400, '{"details":[1,2]}').details).toEqual({})
    expect(parseApiError(401, '"text"').code).toBe('unauthorized')
  })

  it('gives text for anything thrown', () => {
    expect(errorMessage(new ApiError(404, 'not_found', 'There is no group "3B".'))).toBe('There is no group "3B".')
    expect(errorMessage(new Error('boom'))).toBe('boom')
    expect(errorMessage('?')).toMatch(/Something went wrong/)
    expect(fieldErrors(new Error('x'))).toEqual({})
    expect(fieldErrors(new ApiError(400, 'invalid', 'm', { email: 'e' }))).toEqual({ email: 'e' })
  })
})

describe('filenameFromDisposition', () => {
  it('reads quoted, plain and RFC 5987 names', () => {
    expect(filenameFromDisposition('attachment; filename="rollcall-backup-2026-01-02-0304.db"', 'x.db')).toBe('rollcall-backup-2026-01-02-0304.db')
    expect(filenameFromDisposition('attachment; filename=plain.db', 'x.db')).toBe('plain.db')
    expect(filenameFromDisposition("attachment; filename*=UTF-8''Sch%C3%BCler.csv", 'x')).toBe('Schüler.csv')
  })
  it('falls back and never keeps a directory', () => {
    expect(filenameFromDisposition(null, 'backup.db')).toBe('backup.db')
    expect(filenameFromDisposition('attachment', 'backup.db')).toBe('backup.db')
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"', 'b')).toBe('passwd')
    expect(filenameFromDisposition('attachment; filename=".."', 'b')).toBe('b')
  })
})

describe('orgPath', () => {
  it('escapes each segment', () => {
    expect(orgPath('maple', 'users', 'a/b')).toBe('/api/organizations/maple/users/a%2Fb')
    expect(orgPath('maple')).toBe('/api/organizations/maple')
  })
})

describe('request', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    onUnauthorized(null)
  })

  it('sends JSON and decodes JSON', async () => {
    const fetchMock = vi.fn(async () => new Response('{"ok":true}', { status: 200 }))
    vi.stubGlobal('fetch', fetchMock)
    const out = await request<{ ok: boolean }>('POST', '/api/x', { a: 1 })
    expect(out).toEqual({ ok: true })
    const [path, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    expect(path).toBe('/api/x')
    expect(init.method).toBe('POST')
    expect(init.body).toBe('{"a":1}')
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json')
  })

  it('returns undefined for 204', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })))
    expect(await request('DELETE', '/api/x')).toBeUndefined()
  })

  it('turns a network failure into a readable error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    await expect(request('GET', '/api/x')).rejects.toMatchObject({ status: 0, code: 'network' })
  })

  it('reports 401 to the handler unless asked not to', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"code":"unauthorized","message":"You are signed out. Sign in again."}', { status: 401 })))
    const seen: string[] = []
    onUnauthorized((e) => seen.push(e.message))
    await expect(request('GET', '/api/organizations')).rejects.toBeInstanceOf(ApiError)
    await expect(request('GET', '/api/session', undefined, { quiet401: true })).rejects.toBeInstanceOf(ApiError)
    expect(seen).toEqual(['You are signed out. Sign in again.'])
  })

  it('uploads raw bytes with their type through the same error path', async () => {
    const fetchMock = vi.fn(async () => new Response('{"code":"invalid","message":"The file is empty."}', { status: 400 }))
    vi.stubGlobal('fetch', fetchMock)
    await expect(upload('/api/x', 'a,b', 'text/plain; charset=utf-8')).rejects.toMatchObject({ status: 400, code: 'invalid', message: 'The file is empty.' })
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    expect(init.body).toBe('a,b')
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('text/plain; charset=utf-8')
  })

  it('sends the page language with every request, so the server answers in it', async () => {
    const fetchMock = vi.fn(async () => new Response('{}', { status: 200 }))
    vi.stubGlobal('fetch', fetchMock)
    useLanguage('fi')
    try {
      await request('GET', '/api/x')
      await upload('/api/x', new FormData(), 'multipart/form-data')
      await getFile('/api/x', 'x.csv')
      await postFile('/api/x', {}, 'x.png')
    } finally {
      useLanguage('en')
    }
    expect(fetchMock).toHaveBeenCalledTimes(4)
    for (const [, init] of fetchMock.mock.calls as unknown as [string, RequestInit][]) {
      expect((init.headers as Record<string, string>)['Accept-Language']).toBe('fi')
    }
  })

  it('posts JSON for a file and reads its name', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('png', { status: 200, headers: { 'Content-Disposition': 'attachment; filename="qr.png"' } })))
    const f = await postFile('/api/x', { token: 't' }, 'fallback.png')
    expect(f.name).toBe('qr.png')
    expect(await f.blob.text()).toBe('png')
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    await expect(postFile('/api/x', {}, 'x')).rejects.toMatchObject({ status: 0, code: 'network' })
  })
})
