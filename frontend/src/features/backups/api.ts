// The API call of backups (app/backup.go, app/httpapi/backup.go).
import { getFile } from '../../lib/api'

/** getBackup downloads a copy of the whole database, named by today's date. */
export function getBackup(): Promise<{ blob: Blob; name: string }> {
  const stamp = new Date().toISOString().slice(0, 10)
  return getFile('/api/backup', `rollcall-backup-${stamp}.db`)
}
