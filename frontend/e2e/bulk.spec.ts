import { expect, test, type Page } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Bulk actions, as IT staff cleaning up after a class change live them:
// three pupils of 3A ticked and moved to 3B; all who match 3A (more than a
// page) labelled at once; then a class of 28 that signed up with approval,
// approved with one click, and Reject asking before it removes anyone.
// This story runs its own `rollcall serve` on a database prepared with the
// CLI, on the fourth port above E2E_PORT (+1..+3 are the other specs').

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.E2E_PORT ?? 18397) + 4
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.staff', password: 'apple tree 2026' }
const pupils = Array.from({ length: 55 }, (_, i) => `Pupil${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))} Oak`)

let dir = ''
let server: ReturnType<typeof spawn> | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'bulk.db')], { encoding: 'utf8', input })
}

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-bulk-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '3A'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '3B'])
  rollcall(['admin', 'create', '--username', admin.username], admin.password + '\n')
  writeFileSync(join(dir, 'names.txt'), pupils.join('\n'))
  rollcall(['users', 'create', '--org', 'maple', '--group', '3A', '--names', join(dir, 'names.txt'), '--slips', join(dir, 'slips.pdf')])
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'bulk.db')], base)
})

test.afterAll(async () => {
  await stop(server)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(page: Page) {
  await page.goto(base + '/')
  await page.getByLabel('Username').fill(admin.username)
  await page.getByLabel('Password').fill(admin.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
}

async function usersIn(page: Page, query: string): Promise<{ total: number; users: { first_name: string; groups: string[] }[] }> {
  return (await page.request.get(`${base}/api/organizations/maple/users?per_page=500&${query}`)).json()
}

test('ticked pupils move to another group; all who match get a label', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const shot = (name: string) => page.screenshot({ path: `${test.info().project.testDir}/artifacts/bulk-${name}.png` })
  await page.setViewportSize({ width: 1024, height: 768 })
  await signIn(page)
  const groups: { id: string; name: string }[] = (await (await page.request.get(`${base}/api/organizations/maple/groups`)).json()).groups
  const g3b = groups.find((g) => g.name === '3B')!

  await page.getByLabel('Group', { exact: true }).selectOption({ label: '3A' })
  await expect(page.getByText('1–50 of 55').first()).toBeVisible()
  const moved = ['PupilAa Oak', 'PupilAb Oak', 'PupilAc Oak']
  for (const name of moved) await page.getByLabel(`Select ${name}`).check()
  const bar = page.getByRole('region', { name: 'Selected people' })
  await expect(bar).toContainText('3 people selected.')
  await expect(bar.getByRole('button', { name: 'Move to group…' })).toBeInViewport()
  await expect(bar.getByRole('button', { name: 'Delete…' })).toBeInViewport()
  await shot('selection-1024')

  await bar.getByRole('button', { name: 'Move to group…' }).click()
  const dlg = page.getByRole('dialog', { name: 'Change 3 people' })
  await expect(dlg).toContainText('They leave 3A and join the group you choose; their other groups stay.')
  await dlg.getByLabel('Group', { exact: true }).selectOption({ label: '3B' })
  await shot('move-dialog-1024')
  await dlg.getByRole('button', { name: 'Move 3 people' }).click()
  await expect(page.getByRole('status').filter({ hasText: '3 people moved to 3B.' })).toBeVisible()
  await expect(dlg).toBeHidden()
  await expect(page.getByText('1–50 of 52').first()).toBeVisible()
  const in3b = await usersIn(page, `group=${g3b.id}`)
  expect(in3b.users.map((u) => `${u.first_name} Oak`).sort()).toEqual(moved)
  expect(in3b.users.every((u) => u.groups.length === 1 && u.groups[0] === g3b.id)).toBe(true)

  // All who match, across pages: the count is named before anything happens.
  await page.getByLabel('Select everyone on this page').check()
  await expect(bar).toContainText('50 people selected.')
  await bar.getByRole('button', { name: 'Select all 52 that match' }).click()
  await expect(bar).toContainText('All 52 who match are selected.')
  await shot('all-matching-1024')
  await bar.getByRole('button', { name: 'More actions…' }).click()
  const more = page.getByRole('dialog', { name: 'Change all 52 people who match' })
  await more.getByLabel('Action').selectOption({ label: 'Add a label' })
  await more.getByLabel('Label').fill('Trip 2026')
  await more.getByRole('button', { name: 'Label all 52 people who match' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Label “Trip 2026” added to 52 people.' })).toBeVisible()
  await expect(bar).toBeHidden()

  // The label is a filter now, and search finds it.
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.getByLabel('Label', { exact: true }).selectOption('Trip 2026')
  await expect(page.getByText('1–50 of 52').first()).toBeVisible()
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.getByLabel('Search').fill('trip 2026')
  await expect(page.getByText('1–50 of 52').first()).toBeVisible()
  expect(errors).toEqual([])
})

test('a class of 28 waiting for approval is approved at once; Reject asks first', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await signIn(page)
  // Sign-up is open; 3B's code needs approval; 31 pupils sign up with it.
  expect((await page.request.patch(`${base}/api/organizations/maple`, { data: { signup: { enabled: true } } })).ok()).toBe(true)
  const patch = await page.request.patch(`${base}/api/organizations/maple/groups/3B/invite-code`, { data: { require_approval: true } })
  expect(patch.ok()).toBe(true)
  const code: string = (await patch.json()).code
  const waiting = Array.from({ length: 31 }, (_, i) => `Kid${String(i + 1).padStart(2, '0')}`)
  for (const name of waiting) {
    const r = await page.request.post(`${base}/api/public/codes/${code}/signup`, {
      data: { first_name: name, last_name: 'Birch', username: name.toLowerCase() + '.birch', password: 'tablet-pass-42' },
    })
    expect(r.ok(), await r.text()).toBe(true)
  }
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: /Approvals/ }).click()
  const rows = page.locator('tbody tr')
  await expect(rows).toHaveCount(31)

  // Reject asks, naming the person; Cancel keeps the request.
  await page.getByRole('button', { name: 'Reject Kid01 Birch' }).click()
  let confirm = page.getByRole('dialog', { name: 'Reject Kid01 Birch?' })
  await expect(confirm).toContainText('Kid01 Birch will not get an account')
  await page.screenshot({ path: `${test.info().project.testDir}/artifacts/bulk-reject-confirm.png` })
  await confirm.getByRole('button', { name: 'Cancel' }).click()
  await expect(confirm).toBeHidden()
  await expect(rows).toHaveCount(31)
  await page.getByRole('button', { name: 'Reject Kid01 Birch' }).click()
  confirm = page.getByRole('dialog', { name: 'Reject Kid01 Birch?' })
  await confirm.getByRole('button', { name: 'Reject Kid01 Birch' }).click()
  // It is held for 10 seconds with an Undo, then sent.
  await expect(page.getByRole('button', { name: 'Undo the rejection' })).toBeVisible()
  await expect(rows).toHaveCount(30)
  await expect(page.getByRole('status').filter({ hasText: '1 request rejected; no account was kept.' })).toBeVisible({ timeout: 15_000 })

  // Two ticked: approved together.
  await page.getByLabel('Select Kid02 Birch').check()
  await page.getByLabel('Select Kid03 Birch').check()
  await page.screenshot({ path: `${test.info().project.testDir}/artifacts/bulk-approvals-ticked.png` })
  await page.getByRole('button', { name: 'Approve selected (2)' }).click()
  await expect(page.getByRole('status').filter({ hasText: '2 people approved.' })).toBeVisible()
  await expect(rows).toHaveCount(28)

  // The class: 28 with one click.
  await page.getByRole('button', { name: 'Approve all 28' }).click()
  await expect(page.getByRole('status').filter({ hasText: '28 people approved.' })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Nobody is waiting' })).toBeVisible()
  const kids = await usersIn(page, 'q=birch')
  expect(kids.total).toBe(30)
  expect(kids.users.every((u) => (u as unknown as { status: string }).status === 'active')).toBe(true)
  expect(errors).toEqual([])
})
