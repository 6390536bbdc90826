// The sections of the "my account" page, in order. Another feature adds its
// own section (e.g. "Use invite code") by adding an entry here.
import type { Component } from 'svelte'
import type { MyAccount } from '../../lib/types'
import ProfileSection from './ProfileSection.svelte'
import PasswordSection from './PasswordSection.svelte'
import InviteCodeSection from './InviteCodeSection.svelte'

export interface SectionProps {
  account: MyAccount
  /** reload the account after a change */
  onChanged: () => void
}

export interface AccountSection {
  id: string
  /** the title's message key (src/locales) */
  title: string
  component: Component<SectionProps>
}

export const accountSections: AccountSection[] = [
  { id: 'profile', title: 'account.section.profile', component: ProfileSection },
  { id: 'password', title: 'account.section.password', component: PasswordSection },
  { id: 'invite-code', title: 'account.section.inviteCode', component: InviteCodeSection },
]
