// The API calls of backups (app/backup.go, app/httpapi/backup.go): the copy
// to download, the backup folder on the server, and restoring a backup.
import { api, getFile, upload } from '../../lib/api'
import { t } from '../../lib/i18n.svelte'

/** getBackup downloads a copy of the whole database, named by today's date. */
export function getBackup(): Promise<{ blob: Blob; name: string }> {
  const stamp = new Date().toISOString().slice(0, 10)
  return getFile('/api/backup', `rollcall-backup-${stamp}.db`)
}

export interface Backup {
  name: string
  kind: 'daily' | 'manual' | 'before-restore' | 'before-rollover' | 'before-upgrade' | string
  size: number
  time: string
}

export interface BackupList {
  dir: string
  keep: number
  backups: Backup[]
}

export interface Restored {
  /** the backup of what was there before the restore */
  before: Backup
}

export const listBackups = () => api.get<BackupList>('/api/backups')

/** backUpNow writes a backup into the server's backup folder. */
export const backUpNow = () => api.post<Backup>('/api/backups')

/** restoreBackup puts a backup of the folder in place of the database. */
export const restoreBackup = (name: string) => api.post<Restored>('/api/backups/' + encodeURIComponent(name) + '/restore')

/** restoreUpload puts an uploaded backup file in place of the database. */
export const restoreUpload = (file: Blob) => upload<Restored>('/api/backups/restore', file, 'application/octet-stream')

export interface Compaction {
  /** the file's size in bytes before and after */
  before: number
  after: number
}

/** compactNow rewrites the database file with its live pages only. */
export const compactNow = () => api.post<Compaction>('/api/backups/compact')

/** backupKindLabel says in words why a backup was taken. */
export function backupKindLabel(kind: string): string {
  switch (kind) {
    case 'daily':
      return t('backups.kindDaily')
    case 'manual':
      return t('backups.kindManual')
    case 'before-restore':
      return t('backups.kindBeforeRestore')
    case 'before-rollover':
      return t('backups.kindBeforeRollover')
    case 'before-upgrade':
      return t('backups.kindBeforeUpgrade')
    default:
      return kind
  }
}
