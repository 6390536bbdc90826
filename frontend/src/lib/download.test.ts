import { describe, expect, it, vi } from 'vitest'
import { bytesToBase64, downloadFile, nativeSaveFile } from './download'

describe('nativeSaveFile', () => {
  it('finds the desktop window helper', () => {
    const SaveFile = async () => '/home/me/x.db'
    expect(nativeSaveFile({ go: { desktop: { Native: { SaveFile } } } })).toBe(SaveFile)
  })
  it('is null in a browser', () => {
    expect(nativeSaveFile({})).toBeNull()
    expect(nativeSaveFile({ go: {} })).toBeNull()
    expect(nativeSaveFile({ go: { desktop: { Native: { SaveFile: 'no' } } } })).toBeNull()
    expect(nativeSaveFile(undefined)).toBeNull()
  })
})

describe('bytesToBase64', () => {
  it('encodes like the standard alphabet', () => {
    expect(bytesToBase64(new Uint8Array([]))).toBe('')
    expect(bytesToBase64(new TextEncoder().encode('Rollcall ✓'))).toBe('Um9sbGNhbGwg4pyT')
  })
  it('encodes large data in chunks', () => {
    const big = new Uint8Array(200_000).map((_, i) => i % 251)
    const back = Uint8Array.from(atob(bytesToBase64(big)), (c) => c.charCodeAt(0))
    // Compared by hand: a deep toEqual over 200,000 elements takes seconds on a busy machine.
    expect(back.length).toBe(big.length)
    expect(back.findIndex((b, i) => b !== big[i])).toBe(-1)
  })
})

describe('downloadFile', () => {
  const blob = new Blob([new Uint8Array([0, 1, 2, 250, 255])])

  it('uses the native Save dialog in the desktop window', async () => {
    const SaveFile = vi.fn(async () => '/home/me/backup.db')
    const browser = vi.fn()
    const r = await downloadFile('backup.db', blob, { win: { go: { desktop: { Native: { SaveFile } } } }, browser })
    expect(r).toEqual({ via: 'native', saved: true, path: '/home/me/backup.db' })
    expect(SaveFile).toHaveBeenCalledWith('backup.db', 'AAEC+v8=')
    expect(browser).not.toHaveBeenCalled()
  })

  it('reports a cancelled Save dialog', async () => {
    const SaveFile = vi.fn(async () => '')
    const r = await downloadFile('backup.db', blob, { win: { go: { desktop: { Native: { SaveFile } } } }, browser: vi.fn() })
    expect(r).toEqual({ via: 'native', saved: false, path: '' })
  })

  it('passes a native failure on', async () => {
    const SaveFile = vi.fn(async () => { throw new Error('could not save /x: permission denied') })
    await expect(downloadFile('b.db', blob, { win: { go: { desktop: { Native: { SaveFile } } } }, browser: vi.fn() })).rejects.toThrow(/permission denied/)
  })

  it('uses the browser otherwise', async () => {
    const browser = vi.fn()
    const r = await downloadFile('backup.db', blob, { win: {}, browser })
    expect(r).toEqual({ via: 'browser', saved: true, path: '' })
    expect(browser).toHaveBeenCalledWith('backup.db', blob)
  })
})
