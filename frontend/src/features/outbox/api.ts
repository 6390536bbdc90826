// The API calls of the outbox (app/outbox.go, app/httpapi/outbox.go).
import { api, orgPath, type RequestOptions } from '../../lib/api'
import type { OutboxMessage, OutboxSummary } from '../../lib/types'

export const getOutbox = (org: string, opts?: RequestOptions) => api.get<{ messages: OutboxMessage[]; summary: OutboxSummary }>(orgPath(org, 'outbox'), opts)

/** retryOutbox sends one message (id) or every failed one again now. */
export const retryOutbox = (org: string, id = '') => api.post<{ count: number }>(id ? orgPath(org, 'outbox', id, 'retry') : orgPath(org, 'outbox', 'retry'))
