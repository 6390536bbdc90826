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
