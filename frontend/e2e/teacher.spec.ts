/// <reference types="node" />
import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Teachers manage their own classes (issue 13), as a teacher lives it: Ms
// Virtanen, a teacher of Maple given the role of administrator of 2A, signs
// in at the admin sign-in with her own password and sees only 2A — its
// group, its pupils — creates 5 accounts with slips for 2A (the PDF
// downloads), shows 2A's code on the classroom display, approves a pupil
// who signed up with 2A's code; 2B's page opened by its address says it is
// not one of hers. An organization admin sees the organization but no
// Backups or Admins. The data is made through the API by the server admin.
//
// Its own server runs on E2E_PORT + 53 (18450).

const bin = process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(process.env.E2E_PORT ?? 18397) + 53
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'apple tree 2026' }
const teacher = { username: 't.virtanen', password: 'Teacher-pass-1234' }
const head = { username: 'h.koskinen', password: 'Head-pass-12345' }

let dir = ''
let server: ChildProcess | null = null
let api: APIRequestContext
const ids = { org: '', g2a: '', g2b: '' }

test.describe.configure({ mode: 'serial' })

async function ok<T>(r: Promise<import('@playwright/test').APIResponse>, status = 200): Promise<T> {
  const res = await r
  expect(res.status(), await res.text()).toBe(status)
  return (await res.json().catch(() => undefined)) as T
}

test.beforeAll(async () => {
  test.setTimeout(60_000)
  dir = mkdtempSync(join(tmpdir(), 'rollcall-teacher-'))
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'teacher.db')], base, {
    env: { ...process.env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
  api = await request.newContext({ baseURL: base })
  await ok(api.post('/api/setup', { data: admin }), 201)
  const org = await ok<{ id: string }>(api.post('/api/organizations', { data: { name: 'Maple Primary', slug: 'maple' } }), 201)
  ids.org = org.id
  await ok(api.patch('/api/organizations/maple', { data: { signup: { enabled: true }, public_url: 'https://rollcall.maple.example' } }))
  for (const c of ['2A', '2B'] as const) {
    const g = await ok<{ id: string }>(api.post('/api/organizations/maple/groups', { data: { name: c } }), 201)
    ids[c === '2A' ? 'g2a' : 'g2b'] = g.id
    await ok(api.post('/api/organizations/maple/users', { data: { first_name: 'Pupil', last_name: 'Of ' + c, username: 'pupil.' + c.toLowerCase(), groups: [g.id] } }), 201)
  }
  // Ms Virtanen teaches 2A; Mr Koskinen is the head of the whole school.
  const t = await ok<{ id: string }>(
    api.post('/api/organizations/maple/users', { data: { first_name: 'Tiina', last_name: 'Virtanen', username: teacher.username, password: teacher.password, account_type: 'teacher' } }),
    201,
  )
  await ok(api.put(`/api/organizations/maple/users/${t.id}/roles`, { data: { org_admin: false, groups: ['2A'] } }))
  const h = await ok<{ id: string }>(
    api.post('/api/organizations/maple/users', { data: { first_name: 'Heikki', last_name: 'Koskinen', username: head.username, password: head.password, account_type: 'teacher' } }),
    201,
  )
  await ok(api.put(`/api/organizations/maple/users/${h.id}/roles`, { data: { org_admin: true, groups: [] } }))
  // 2A's code needs approval; a pupil signs up with it (as on a tablet).
  const code = await ok<{ code: string }>(api.patch(`/api/organizations/maple/groups/${ids.g2a}/invite-code`, { data: { require_approval: true } }))
  const tablet = await request.newContext({ baseURL: base })
  const r = await ok<{ status: string }>(
    tablet.post(`/api/public/codes/${code.code}/signup`, { data: { first_name: 'Omar', last_name: 'Haddad', username: 'omar.haddad', password: 'tablet-pass-42' } }),
    201,
  )
  expect(r.status).toBe('pending')
  await tablet.dispose()
})

test.afterAll(async () => {
  await api?.dispose()
  await stop(server)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(page: Page, who: { username: string; password: string }) {
  await page.goto(base + '/')
  await page.getByLabel('Username').fill(who.username)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${test.info().project.testDir}/artifacts/teacher-${name}.png`, fullPage: true })

test('a teacher administers 2A only: accounts with slips, the classroom display, an approval; 2B is not hers', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const nav = page.getByRole('navigation', { name: 'Sections' })

  await test.step('she signs in at the admin sign-in and sees what she administers', async () => {
    await signIn(page, teacher)
    await expect(page.getByTestId('scope')).toHaveText('Admin of 2A')
    await expect(page.getByRole('banner')).toContainText('Tiina Virtanen')
    for (const l of ['Users', 'Add users', 'Groups', 'Invitations', 'Invite links', 'Approvals']) await expect(nav.getByRole('link', { name: new RegExp('^' + l) })).toBeVisible()
    for (const l of ['Settings', 'Outbox', 'Audit']) await expect(nav.getByRole('link', { name: l })).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'New organization' })).toHaveCount(0)
    await expect(page.getByLabel('Organization')).toHaveCount(0) // no switcher: her own organization only
    // The users list: 2A's pupil, not 2B's.
    await expect(page.locator('tr[data-user-id]')).toHaveCount(2) // 2A's pupil and Omar, waiting
    await expect(page.getByText('Pupil Of 2A')).toBeVisible()
    await expect(page.getByText('Pupil Of 2B')).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Export…' })).toHaveCount(0)
    await expect(page.getByRole('button', { name: /^Delete / })).toHaveCount(0)
    await shot(page, '01-users')
  })

  await test.step('the groups list has 2A only', async () => {
    await nav.getByRole('link', { name: 'Groups' }).click()
    await expect(page.locator('tr[data-group-id]')).toHaveCount(1)
    await expect(page.locator(`tr[data-group-id="${ids.g2a}"]`)).toBeVisible()
    await expect(page.getByRole('button', { name: 'New group' })).toHaveCount(0)
    await expect(page.getByRole('button', { name: /Year-end rollover/ })).toHaveCount(0)
    await shot(page, '02-groups')
  })

  await test.step('5 accounts with slips for 2A; the slips PDF downloads', async () => {
    await page.getByRole('link', { name: '2A', exact: true }).click()
    await expect(page.getByRole('heading', { name: '2A', exact: true })).toBeVisible()
    await expect(page.getByRole('link', { name: '2 members' })).toBeVisible()
    await expect(page.getByRole('button', { name: 'Reset passwords…' })).toBeVisible()
    await shot(page, '03-group-2a')
    await page.getByRole('link', { name: 'Add accounts with slips' }).click()
    await expect(page.getByRole('tab', { name: 'Manual creation' })).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByRole('tab', { name: 'Import file' })).toHaveCount(0)
    await expect(page.getByLabel('2A')).toBeChecked()
    await page.getByLabel('Names, one person per line').fill(['Aino Mäkinen', 'Eero Laine', 'Sofia Nieminen', 'Onni Heikkinen', 'Ella Salo'].join('\n'))
    await expect(page.locator('table.preview tbody tr')).toHaveCount(5)
    await page.getByRole('button', { name: 'Create 5 accounts' }).click()
    await expect(page.getByText('5 accounts ready')).toBeVisible({ timeout: 60_000 })
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download slips (PDF)' }).click()])
    const file = join(dir, 'slips.pdf')
    await dl.saveAs(file)
    expect(dl.suggestedFilename()).toMatch(/\.pdf$/)
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-')
    await shot(page, '04-slips')
    // They are 2A's members now.
    const r = await api.get(`/api/organizations/maple/users?group=${ids.g2a}`)
    expect((await r.json()).total).toBe(7)
  })

  await test.step('the classroom display of 2A', async () => {
    await page.goto(`${base}/#/o/maple/groups/${ids.g2a}`)
    await page.getByRole('link', { name: 'Show on screen' }).click()
    const display = page.getByTestId('classroom-display')
    await expect(display.getByRole('heading', { name: '2A' })).toBeVisible()
    await shot(page, '05-display')
    await page.keyboard.press('Escape')
  })

  await test.step('she approves the pupil who signed up with 2A’s code', async () => {
    const approvals = nav.getByRole('link', { name: /Approvals/ })
    await expect(approvals).toContainText('1')
    await approvals.click()
    await shot(page, '06-approvals')
    await page.getByRole('button', { name: /^Approve Omar/ }).click()
    await expect(page.getByRole('button', { name: /^Approve Omar/ })).toHaveCount(0)
    const r = await api.get(`/api/organizations/maple/users?q=omar`)
    expect((await r.json()).users[0].status).toBe('active')
  })

  await test.step('2B by its address: the page says it is not hers', async () => {
    await page.goto(`${base}/#/o/maple/groups/${ids.g2b}`)
    await expect(page.getByRole('heading', { name: 'This class is not one of yours.' })).toBeVisible()
    await shot(page, '07-2b-refused')
    await page.goto(`${base}/#/o/maple/display/${ids.g2b}`)
    await expect(page.getByRole('heading', { name: 'This class is not one of yours.' })).toBeVisible()
    await page.goto(`${base}/#/o/maple/settings`)
    await expect(page.getByRole('heading', { name: 'This page is for admins of the whole organization.' })).toBeVisible()
    await shot(page, '08-settings-refused')
  })

  expect(errors).toEqual([])
})

test('an organization admin sees the organization but no Backups or Admins', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await signIn(page, head)
  await expect(page.getByTestId('scope')).toHaveText('Admin of Maple Primary')
  const nav = page.getByRole('navigation', { name: 'Sections' })
  for (const l of ['Users', 'Groups', 'Outbox', 'Audit', 'Settings']) await expect(nav.getByRole('link', { name: l, exact: true })).toBeVisible()
  await expect(page.getByRole('button', { name: 'New organization' })).toHaveCount(0)
  // Both classes and everyone; the people with a role carry a badge, and the user dialog gives roles.
  await expect(page.getByText('Pupil Of 2B')).toBeVisible()
  const tiina = page.locator('tr[data-user-id]').filter({ hasText: 't.virtanen' })
  await expect(tiina.locator('.role')).toHaveText('Admin of 2A')
  await tiina.getByRole('button', { name: 'Edit Tiina Virtanen' }).click()
  const dlg = page.getByRole('dialog', { name: 'Edit Tiina Virtanen' })
  await expect(dlg.getByRole('group', { name: 'Administrator of these groups' }).getByLabel('2A')).toBeChecked()
  await expect(dlg.getByLabel('Administrator of the whole organization')).not.toBeChecked()
  await dlg.getByRole('group', { name: 'Administrator of these groups' }).getByLabel('2B').check()
  await shot(page, '09-user-dialog-roles')
  await dlg.getByRole('button', { name: 'Save changes' }).click()
  await expect(dlg).toBeHidden()
  await expect(tiina.locator('.role')).toHaveText('Admin of 2A and 2B')
  await nav.getByRole('link', { name: 'Settings' }).click()
  await expect(page.getByRole('heading', { name: 'Organization', exact: true })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Your sessions' })).toBeVisible()
  await expect(page.getByRole('heading', { name: /^Backups/ })).toHaveCount(0)
  await expect(page.getByRole('heading', { name: /^Admins/ })).toHaveCount(0)
  await expect(page.getByRole('heading', { name: 'Your account' })).toHaveCount(0)
  await expect(page.getByRole('switch', { name: 'Open sign-up on this network' })).toBeDisabled()
  await shot(page, '10-org-admin-settings')
  // The group page has the administrators of the class.
  await page.goto(`${base}/#/o/maple/groups/${ids.g2a}`)
  await expect(page.getByRole('list', { name: 'Administrators of 2A' })).toContainText('Tiina Virtanen')
  await shot(page, '11-org-admin-group')
  expect(errors).toEqual([])
})
