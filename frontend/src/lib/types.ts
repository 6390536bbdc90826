// Shapes of the JSON the Rollcall API sends (see app/*.go and app/httpapi/*.go).

export interface Session {
  username: string
  /** true in the desktop window, where nobody signs in */
  local: boolean
}

export interface SetupState {
  /** no admin exists yet */
  needed: boolean
  /** this browser may create the first admin (it is on the server computer) */
  allowed: boolean
}

export interface PasswordPolicy {
  min_length: number
  require_letter: boolean
  require_digit: boolean
  require_symbol: boolean
}

export interface Organization {
  id: string
  name: string
  slug: string
  kind: string
  language: string
  login_domain: string
  public_url: string
  password_policy: PasswordPolicy
  created_at: string
  updated_at: string
  account_types: string[]
  password_policy_text: string
}

export interface Group {
  id: string
  org_id: string
  name: string
  kind: string
  default_account_type: string
  delete_on?: string
  created_at: string
  updated_at: string
  members: number
}

export type UserStatus = 'invited' | 'pending' | 'active' | 'deactivated'

export interface User {
  id: string
  org_id: string
  first_name: string
  last_name: string
  username: string
  email: string
  phone: string
  account_type: string
  /** group IDs */
  groups: string[] | null
  language: string
  labels: string[] | null
  job_title: string
  status: UserStatus | string
  delete_on?: string
  created_via: string
  created_at: string
  updated_at: string
}

export interface UserPage {
  users: User[]
  total: number
  page: number
  per_page: number
}

/** The signed-in user's own account, as the portal shows it. */
export interface MyAccount {
  first_name: string
  last_name: string
  username: string
  email: string
  account_type: string
  organization: string
  /** group names */
  groups: string[]
  policy: string
  min_length: number
}

export interface SMTPSettings {
  host: string
  port: number
  security: 'starttls' | 'tls' | 'none' | string
  username: string
  from: string
  ca_file: string
  password_set: boolean
  configured: boolean
  updated_at: string
}

export type InvitationState = 'pending' | 'expired' | 'accepted' | 'cancelled'
export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled'

export interface Invitation {
  id: string
  org_id: string
  user_id: string
  email: string
  name: string
  mode: 'invite' | 'create' | 'join' | string
  account_type: string
  groups: string[] | null
  label?: string
  delete_on?: string
  language: string
  invited_by: string
  status: string
  state: InvitationState | string
  created_at: string
  expires_at: string
  resends: number
  accepted_at?: string
  message_id: string
  delivery: DeliveryStatus | string
  delivery_error?: string
  sent_at?: string
}

export interface InviteResult {
  invited: Invitation[]
  already_member: string[]
  invalid: { text: string; reason: string }[]
}

export interface OutboxMessage {
  id: string
  org_id: string
  kind: string
  invitation_id?: string
  to: string
  to_name?: string
  status: DeliveryStatus | string
  attempts: number
  next_attempt: string
  last_error?: string
  created_at: string
  sent_at?: string
}

export interface OutboxSummary {
  queued: number
  sending: number
  sent: number
  failed: number
  waiting: number
  relay: { unreachable: boolean; since?: string; error?: string }
}

/** What the invitation page shows and asks for. */
export interface InvitationPage {
  organization: string
  mode: string
  email: string
  first_name: string
  last_name: string
  need_name: boolean
  need_password: boolean
  policy: string
  min_length: number
  expires_at: string
}
