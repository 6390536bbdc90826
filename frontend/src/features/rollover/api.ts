// The API calls of the year-end rollover (app/rollover.go, app/httpapi/rollover.go).
import { api, orgPath } from '../../lib/api'
import type { Backup } from '../backups/api'

export interface RolloverMove {
  from: string
  /** the next class; 'leavers'; or the class itself to stay */
  to: string
}

export interface RolloverPlan {
  moves: RolloverMove[]
  deactivate_leavers: boolean
  /** days until leavers are deleted; 0 sets no date */
  leaver_delete_days: number
}

export interface RolloverRow {
  from: string
  to: string
  leavers: boolean
  new_class: boolean
  people: number
}

export interface RolloverPreview {
  rows: RolloverRow[]
  moving: number
  leaving: number
  new_classes: string[]
  delete_on?: string
  deactivate_leavers: boolean
}

export interface RolloverResult extends RolloverPreview {
  /** the backup taken just before: restoring it undoes the rollover */
  backup: Backup
}

export const LEAVERS = 'leavers'

/** suggestRollover: every class with its suggested next class. */
export const suggestRollover = (org: string) => api.get<RolloverPlan>(orgPath(org, 'rollover'))

export const previewRollover = (org: string, plan: RolloverPlan) => api.post<RolloverPreview>(orgPath(org, 'rollover', 'preview'), plan)

export const runRollover = (org: string, plan: RolloverPlan) => api.post<RolloverResult>(orgPath(org, 'rollover'), plan)
