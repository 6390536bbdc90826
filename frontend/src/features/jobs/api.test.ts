import { afterEach, describe, expect, it, vi } from 'vitest'
import { pollJob, type JobStatus } from './api'

const job = (state: JobStatus['state'], done: number): JobStatus => ({ id: 'j1', kind: 'accounts', state, done, total: 3 })

describe('pollJob', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('follows a job until it stops running, through a failed poll', async () => {
    vi.useFakeTimers()
    const answers: (JobStatus | 'down')[] = [job('running', 1), 'down', job('running', 2), job('done', 3)]
    const fetchMock = vi.fn(async () => {
      const a = answers.shift()
      if (a === 'down') throw new TypeError('Failed to fetch')
      return new Response(JSON.stringify(a), { status: 200 })
    })
    vi.stubGlobal('fetch', fetchMock)
    const seen: string[] = []
    pollJob(job('running', 0), { update: (j) => seen.push(`${j.state} ${j.done}`), error: () => seen.push('error') })
    await vi.advanceTimersByTimeAsync(150 + 250 * 5)
    expect(seen).toEqual(['running 1', 'error', 'running 2', 'done 3'])
    expect(fetchMock).toHaveBeenCalledTimes(4)
    expect((fetchMock.mock.calls[0] as unknown as [string])[0]).toBe('/api/jobs/j1')
  })

  it('stops when asked', async () => {
    vi.useFakeTimers()
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(job('running', 1)), { status: 200 }))
    vi.stubGlobal('fetch', fetchMock)
    const stop = pollJob(job('running', 0), { update: () => {}, error: () => {} })
    await vi.advanceTimersByTimeAsync(150)
    stop()
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchMock).toHaveBeenCalledTimes(1)
  })
})
