// The shown organization's recent results: one's own jobs whose one-time
// passwords are still kept on the server. The shell's badge and the Add
// users page read it; a page that starts, finishes or forgets a job
// refreshes it.
import { listRecentJobs, type JobStatus } from './api'

export const recent = $state<{ org: string; jobs: JobStatus[] }>({ org: '', jobs: [] })

/** refreshRecent loads the list of organization org (by default the one shown). */
export async function refreshRecent(org = recent.org): Promise<void> {
  if (!org) return
  try {
    const jobs = await listRecentJobs(org)
    if (org === recent.org) recent.jobs = jobs
  } catch {
    // the list waits for the next round
  }
}

/** followRecent keeps the list of org fresh (every 20 s); it returns the function that stops it. */
export function followRecent(org: string): () => void {
  recent.org = org
  recent.jobs = []
  refreshRecent(org)
  const t = setInterval(() => refreshRecent(org), 20_000)
  return () => clearInterval(t)
}
