// Jobs (app/job.go, app/httpapi/job.go): the long work that makes one-time
// passwords — creating accounts, resetting passwords, committing an import —
// runs on the server; the page follows it with the one poller here.
import { api, getFile, orgPath } from '../../lib/api'
import { t } from '../../lib/i18n.svelte'

export interface JobStatus {
  id: string
  kind: string
  state: 'running' | 'done' | 'failed' | 'cancelled'
  done: number
  total: number
  error?: string
  code?: string
  /** the organization's ID */
  org?: string
  finished_at?: string
  /** when the result (and the passwords in it) is dropped */
  expires_at?: string
}

/** jobPath is /api/jobs/{id}[/what], for the job's own calls and the files it leaves. */
export const jobPath = (id: string, what = '') => '/api/jobs/' + encodeURIComponent(id) + (what ? '/' + what : '')

export const getJob = (id: string) => api.get<JobStatus>(jobPath(id))

/** listRecentJobs lists one's own jobs in the organization whose passwords are still kept (and those still running). */
export const listRecentJobs = (org: string) => api.get<JobStatus[]>(orgPath(org, 'jobs'))

/** jobKindLabel names what a job made, for a list of recent results. */
export function jobKindLabel(kind: string): string {
  switch (kind) {
    case 'create-accounts':
      return t('jobs.kind.createAccounts')
    case 'reset-passwords':
      return t('jobs.kind.resetPasswords')
    case 'import':
      return t('jobs.kind.import')
  }
  return kind
}

/** minutesLeft is how many whole minutes (rounded up) remain until iso, at least 0. */
export function minutesLeft(iso: string | undefined, now: number): number {
  if (!iso) return 0
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 60_000))
}

/** cancelJob asks the server to stop; a job that had already written answers "done". */
export const cancelJob = (id: string) => api.post<JobStatus>(jobPath(id, 'cancel'))

/** forgetJob drops the job and its one-time passwords now (the server would after 15 minutes). */
export const forgetJob = (id: string) => api.del(jobPath(id))

/** getJobFile downloads one of the files a finished job leaves (slips, results). */
export function getJobFile(id: string, what: string, query: Record<string, string>, fallbackName: string) {
  const qs = new URLSearchParams(query).toString()
  return getFile(jobPath(id, what) + (qs ? '?' + qs : ''), fallbackName)
}

export interface JobWatch {
  /** each state the server reports */
  update: (job: JobStatus) => void
  /** a poll that failed; polling goes on while the job runs */
  error: (e: unknown) => void
}

/**
 * pollJob follows a job until it stops running: first after 150 ms, then
 * every 250 ms. It returns a function that stops it (call it on destroy).
 */
export function pollJob(job: JobStatus, watch: JobWatch): () => void {
  let stopped = false
  let last = job
  let timer: ReturnType<typeof setTimeout> | undefined
  async function tick() {
    if (stopped) return
    try {
      last = await getJob(last.id)
      if (!stopped) watch.update(last)
    } catch (e) {
      if (!stopped) watch.error(e)
    }
    if (!stopped && last.state === 'running') timer = setTimeout(tick, 250)
  }
  timer = setTimeout(tick, 150)
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
