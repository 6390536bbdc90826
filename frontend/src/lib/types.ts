// Shapes of the JSON the Rollcall API sends (see app/*.go and app/httpapi/*.go).
import type { Scope } from './access'

export interface Session {
  /** the admin's ID (absent in the desktop window) */
  id?: string
  username: string
  /** the admin's display name, when set */
  name?: string
  /** two-step sign-in is required and this admin must set it up before anything else */
  two_step_setup_required?: boolean
  /** true in the desktop window, where nobody signs in */
  local: boolean
  /** what an organization or group admin may reach; absent for a server admin */
  scope?: Scope
  /** failed sign-ins from other places forgiven when this session began */
  failed_sign_ins?: number
  /** when the first of them happened (RFC 3339) */
  failed_since?: string
}

/** An account held back by failed sign-ins (GET /api/signin-holds). */
export interface SignInHold {
  account_id: string
  kind: 'admin' | 'user'
  username: string
  name?: string
  /** the user's organization's slug; absent for an admin */
  organization?: string
  failures: number
  since: string
  until: string
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
  /** ISO 3166 code: phone numbers without + are read as its numbers */
  country?: string
  login_domain: string
  public_url: string
  password_policy: PasswordPolicy
  /** the style of generated passwords, the "Organization default": words or random */
  password_style?: string
  signup: SignUpSettings
  // audit_retention_days: how long the audit log keeps entries (0: the default, 730).
  audit_retention_days: number
  /** days between a deletion date and the erasure for good (0 to 3650) */
  purge_grace_days: number
  /** account types that may not sign in with a password (only through a sign-in provider) */
  sso_only?: string[]
  created_at: string
  updated_at: string
  account_types: string[]
  password_policy_text: string
  /** the sign-in badge rule per account type: 'badge' or 'badge_pin'; a type not listed has no badges */
  badges?: Record<string, string>
}

export interface Group {
  id: string
  org_id: string
  name: string
  kind: string
  default_account_type: string
  delete_on?: string
  // signup_choice: offered in the list at sign-up (unset: classes yes, departments no).
  signup_choice?: boolean
  // note: a line about the group, e.g. a OneRoster class's school and terms.
  note?: string
  created_at: string
  updated_at: string
  members: number
}

/** What the users page shows of coming deletions (app/lifecycle.go). */
export interface DeletionSummary {
  today: string
  grace_days: number
  /** people whose deletion date is within 30 days, or past */
  due_soon: number
  /** the next date people will be erased on, within 30 days */
  next_purge?: string
  next_purge_count: number
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
  /** asked to choose a new password at the next sign-in */
  must_change_password: boolean
  /** 'organization' for an admin of the whole organization */
  admin_role?: string
  /** IDs of the groups the person administers */
  admin_groups?: string[] | null
  /** when the person's sign-in badge was made; absent without one */
  badge_issued?: string
  /** provisioned by the school's directory (SCIM): its next sync overwrites local changes */
  directory?: boolean
  /** the directory's own ID of the person */
  external_id?: string
  /** the person's userName in the directory, when it is not a Rollcall username */
  directory_name?: string
}

/** What a bulk action on users did (app.BulkResult). */
export interface BulkResult {
  action: string
  selected: number
  changed: number
  skipped: { reason: string; count: number; message: string }[]
  /** "26 people deactivated; they can no longer sign in. 2 were already deactivated." */
  message: string
}

export interface UserPage {
  users: User[]
  total: number
  page: number
  per_page: number
}

/** The signed-in user's own account, as the portal shows it. */
export interface MyAccount {
  /** the password rule itself, for the page to word in its language */
  policy_rules?: PasswordRules
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
  /** the account must choose a new password before anything else */
  must_change_password: boolean
  /** the person's language, else the organization's (the portal speaks it unless the person picks another) */
  language: string
}

/** The one screen of a user who must choose a new password. */
export interface PasswordChangeForm {
  /** the password rule itself, for the page to word in its language */
  policy_rules?: PasswordRules
  first_name: string
  organization: string
  policy: string
  min_length: number
  /** a new password made for this screen only, in the organization's style */
  suggestion: string
  /** as MyAccount's */
  language: string
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
  /** Addresses an unverified sign-up had claimed: it no longer has them. */
  reclaimed: { text: string; reason: string }[]
}

export interface OutboxMessage {
  id: string
  org_id: string
  kind: string
  /** sms: a text message to the phone number in to; none: mail. */
  channel?: 'sms'
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
  /** the password rule itself, for the page to word in its language */
  policy_rules?: PasswordRules
  /** the invitation's language (its mail's): the page is in it */
  language?: string
  organization: string
  mode: string
  email: string
  first_name: string
  last_name: string
  need_name: boolean
  need_password: boolean
  /** A join of an account with a password: the account's current password moves it. */
  need_current_password: boolean
  policy: string
  min_length: number
  expires_at: string
  /** the organization's sign-in providers: "Accept with <name>" */
  providers?: { id: string; name: string; kind: string; organization: string }[]
}

// Sign-up with invite codes and links (app/invitecode.go, invitelink.go, signup.go).

/** phone: a username and a phone number, confirmed by a code sent by SMS (no email). */
export type LoginRule = 'either' | 'username' | 'email' | 'both' | 'phone'

export interface SignUpSettings {
  enabled: boolean
  login: LoginRule | ''
  default_account_type: string
  /** group ID or '' */
  default_group: string
  choose_group: boolean
}

/** An organization's or group's invite code as the admin pages see it. */
export interface InviteCode {
  code: string
  display: string
  org_id: string
  group_id?: string
  /** the group's name, or the organization's for its own code */
  name: string
  disabled: boolean
  expires_at?: string
  max_uses: number
  uses: number
  require_approval: boolean
  /** what the QR code opens; '' when there is no base address (base_problem says why) */
  url: string
  address: string
  base: string
  bases: string[]
  base_problem?: string
  /** base opens on this computer only (127.0.0.1, localhost): not on a phone or tablet */
  local_only?: boolean
  signup_enabled: boolean
  pending: number
  pending_total: number
}

export interface InviteLink {
  id: string
  org_id: string
  name: string
  account_type: string
  groups: string[] | null
  group_names: string[]
  has_password: boolean
  expires_at?: string
  max_uses: number
  uses: number
  auto_accept: boolean
  revoked_at?: string
  created_at: string
}

/** A link with its address: shown once, when made or renewed. */
export interface NewInviteLink {
  link: InviteLink
  token: string
  url: string
  bases: string[]
  base_problem?: string
}

export interface PendingSignUp {
  user: User
  /** "code", "link", or how the account came to be ("sso"…) */
  source: string
  /** the code, or the link's name */
  source_name?: string
  groups: string[]
}

/** The sign-up listener on this network. */
// SignUpPause: the server-wide limit on wrong codes (GET/DELETE /api/signup-pause).
export interface SignUpPause {
  paused: boolean
  failures: number
  limit: number
  until?: string
}

export interface PublicStatus {
  open: boolean
  addr?: string
  urls: string[]
}

/** What the public sign-up page shows and asks for. */
export interface JoinInfo {
  /** the password rule itself, for the page to word in its language */
  policy_rules?: PasswordRules
  organization: string
  groups: string[]
  code?: string
  login: LoginRule
  password_policy: string
  min_password_length: number
  language: string
  link_password: boolean
  choices?: { id: string; name: string; kind: string; approval: boolean }[]
  approval: boolean
}

export interface SignUpResult {
  /** verify_phone: no account yet; the code sent by SMS is typed first. */
  status: 'active' | 'pending' | 'verify_phone'
  organization: string
  groups: string[]
  login: string
  /** A mail with a link to confirm the address went out. */
  verify_mail_sent: boolean
  /** With verify_phone: the waiting sign-up, and the last digits of the number. */
  phone_signup?: string
  phone?: string
}

/** A confirmed address (app.VerifiedEmail). */
export interface VerifiedEmail {
  email: string
  organization: string
}

/** An admin who signs in under `rollcall serve` (app.Admin). */
export interface Admin {
  id: string
  username: string
  /** display name ("Ms Virtanen"); absent when none is set */
  name?: string
  created_at: string
  disabled: boolean
  /** two-step sign-in (an authenticator app's code after the password) is on */
  two_step: boolean
}

/** The signed-in admin's two-step sign-in (GET /api/me/two-step). */
export interface TwoStepStatus {
  enabled: boolean
  recovery_codes_left: number
  /** the server requires two-step sign-in for every admin */
  required: boolean
}

/** A new authenticator secret (POST /api/me/two-step/setup): shown once. */
export interface TwoStepSetup {
  secret: string
  /** the otpauth:// address */
  url: string
  /** the address as a QR code: a PNG data: URL */
  qr: string
}

/** One of the signed-in admin's sessions (GET /api/me/sessions). */
export interface AdminSession {
  id: string
  created_at: string
  expires_at: string
  client?: string
  current: boolean
}

/** The server-wide sign-in rules (GET/PUT /api/security). */
export interface SecuritySettings {
  require_two_step: boolean
}

// One line of the audit log (app/audit.go AuditEntry).
export interface AuditEntry {
  id: string
  time: string
  org_id?: string
  actor: { kind: string; id?: string; name?: string }
  action: string
  target: { kind?: string; id?: string; name?: string }
  people?: string[]
  detail?: string
}

/** A password rule (app.PasswordPolicy). */
export interface PasswordRules {
  min_length: number
  require_letter: boolean
  require_digit: boolean
  require_symbol: boolean
}
