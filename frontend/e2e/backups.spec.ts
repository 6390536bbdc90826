import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Backups and the year-end rollover, through the browser while `rollcall
// serve` runs: a school with classes 1A–6B (three pupils each), prepared
// with the CLI. A damaged or cut upload is refused and changes nothing; the
// daily backup is restored from the list, after which the admin signs in
// again. The rollover wizard moves every class up (6A/6B leave with a
// deletion date), its preview matches the result, and Undo gives back the
// exact users from before. This story runs its own server on E2E_PORT + 7.

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.E2E_PORT ?? 18397) + 7
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'apple tree 2026' }
const classes = ['1A', '1B', '2A', '2B', '3A', '3B', '4A', '4B', '5A', '5B', '6A', '6B']

let dir = ''
let server: ReturnType<typeof spawn> | null = null
const db = () => join(dir, 'school.db')

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', db()], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'ignore'] })
}

test.beforeAll(async () => {
  test.setTimeout(120_000)
  dir = mkdtempSync(join(tmpdir(), 'rollcall-backups-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  const names = join(dir, 'names.txt')
  for (const c of classes) {
    rollcall(['group', 'create', '--org', 'maple', '--name', c])
    writeFileSync(names, ['Ada', 'Ben', 'Cleo'].map((n) => `${n} Class${c}`).join('\n') + '\n')
    rollcall(['users', 'create', '--org', 'maple', '--names', names, '--group', c, '--slips', join(dir, 'slips.pdf')])
  }
  rollcall(['admin', 'create', '--username', admin.username], admin.password + '\n')
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', db()], base)
})

test.afterAll(async () => {
  await stop(server)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(page: Page) {
  await page.getByLabel('Username').fill(admin.username)
  await page.getByLabel('Password').fill(admin.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

interface User {
  username: string
  status: string
  delete_on?: string
  groups: string[]
}

/** users is every user of maple as the API shows it, as JSON: the byte-compared dump. */
async function users(request: APIRequestContext): Promise<string> {
  const res = await request.get(base + '/api/organizations/maple/users?per_page=200')
  expect(res.ok()).toBeTruthy()
  const page = (await res.json()) as { users: User[] }
  return JSON.stringify(page.users.sort((a, b) => a.username.localeCompare(b.username)))
}

async function members(request: APIRequestContext): Promise<Record<string, number>> {
  const res = await request.get(base + '/api/organizations/maple/groups')
  const { groups } = (await res.json()) as { groups: { name: string; members: number }[] }
  return Object.fromEntries(groups.map((g) => [g.name, g.members]))
}

test('a damaged upload is refused; the daily backup is restored from the list and asks to sign in again', async ({ page }) => {
  await page.goto(base + '/#/o/maple/settings')
  await signIn(page)
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible()
  const backups = page.locator('section', { has: page.getByRole('heading', { name: 'Backups' }) })
  await expect(backups.getByRole('row', { name: /Daily/ })).toHaveCount(1) // written when serve started
  await backups.getByRole('button', { name: 'Back up now' }).click()
  await expect(backups.getByRole('row', { name: /Backed up by hand/ })).toHaveCount(1)
  // Compact now: the file rewritten with its live pages; the sizes are said.
  await backups.getByRole('button', { name: 'Compact now' }).click()
  await expect(page.getByText(/Database compacted: .+ → .+\./)).toBeVisible()

  // A change after the backups.
  const created = await page.request.post(base + '/api/organizations/maple/users', { data: { first_name: 'Late', last_name: 'Pupil', username: 'late.pupil', groups: ['1A'] } })
  expect(created.status()).toBe(201)
  const now = await users(page.request)

  // A cut copy and a damaged one are refused; nothing changes.
  const daily = readdirSync(db() + '.backups').find((n) => n.endsWith('-daily.db'))!
  const good = readFileSync(join(db() + '.backups', daily))
  const damaged = Buffer.from(good)
  for (let i = 2 * 4096; i < damaged.length; i++) damaged[i] ^= 0x5a
  for (const [name, bytes] of [['cut.db', good.subarray(0, good.length / 2)], ['damaged.db', damaged]] as const) {
    await page.getByLabel('Backup file to restore').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })
    const dialog = page.getByRole('dialog', { name: `Restore ${name}?` })
    await dialog.getByRole('button', { name: 'Restore this file' }).click()
    await expect(dialog.getByRole('alert')).toContainText('cannot be restored')
    await expect(dialog.getByRole('alert')).toContainText('Nothing was changed')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(await users(page.request)).toBe(now)
  }
  await page.screenshot({ path: join(tmpdir(), 'bk-backups.png'), fullPage: true })

  // Restore the daily backup from the list: the confirmation says admins may have to sign in again.
  await backups.getByRole('row', { name: /Daily/ }).getByRole('button', { name: /Restore/ }).click()
  const confirm = page.getByRole('dialog', { name: /Restore the backup of/ })
  await expect(confirm).toContainText('may have to sign in again')
  await confirm.getByRole('button', { name: 'Restore this backup' }).click()
  const done = page.getByRole('dialog', { name: 'Backup restored' })
  await expect(done).toBeVisible()
  await done.getByRole('button', { name: 'Continue' }).click()
  // The daily backup was taken before this sign-in: its session is not in it.
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible()
  await signIn(page)
  await expect(backups.getByRole('row', { name: /Before a restore/ })).toHaveCount(1)
  const after = JSON.parse(await users(page.request)) as User[]
  expect(after.map((u) => u.username)).not.toContain('late.pupil')
  expect(after).toHaveLength(36)
})

test('the year-end rollover moves every class up, leavers get a deletion date, and Undo restores the exact users', async ({ page }) => {
  await page.goto(base + '/#/o/maple/groups')
  await signIn(page)
  await expect(page.getByRole('heading', { name: 'Groups' })).toBeVisible()
  const before = await users(page.request)

  await page.getByRole('button', { name: 'Year-end rollover…' }).click()
  const wizard = page.getByRole('dialog', { name: 'Year-end rollover' })
  await expect(wizard.getByLabel('Next class of 1A')).toHaveValue('2A')
  await expect(wizard.getByLabel('Next class of 5B')).toHaveValue('6B')
  await expect(wizard.getByLabel('Next class of 6A')).toHaveValue('leavers')
  await expect(wizard.getByLabel('Next class of 6B')).toHaveValue('leavers')
  await wizard.getByLabel('days').fill('30')
  await wizard.getByLabel(/New passwords and slips for the classes that move/).check()
  await wizard.getByRole('button', { name: 'Preview' }).click()

  await expect(wizard).toContainText('30 people move to their next class; 6 people leave and are deactivated and signed out; they will be deleted on')
  const preview = wizard.getByRole('table', { name: 'Rollover preview' })
  const expected: Record<string, number> = {}
  const rows = await preview.locator('tbody tr').all()
  expect(rows).toHaveLength(12)
  for (const row of rows) {
    const [, to, people] = await row.getByRole('cell').allTextContents()
    if (!to.includes('Leavers')) expected[to.trim()] = Number(people)
  }
  expect(Object.keys(expected)).toHaveLength(10)
  await page.screenshot({ path: join(tmpdir(), 'bk-rollover-preview.png') })
  await wizard.getByRole('button', { name: 'Run the rollover' }).click()
  await expect(wizard).toContainText('The rollover is done: 30 people moved up, 6 people left.')
  await page.screenshot({ path: join(tmpdir(), 'bk-rollover-done.png') })

  // The preview matches the result.
  const m = await members(page.request)
  for (const [to, n] of Object.entries(expected)) expect(m[to], `members of ${to}`).toBe(n)
  expect(m['1A']).toBe(0)
  expect(m['1B']).toBe(0)
  const rolled = JSON.parse(await users(page.request)) as User[]
  const leavers = rolled.filter((u) => u.status === 'deactivated')
  expect(leavers).toHaveLength(6)
  for (const u of leavers) {
    expect(u.groups).toEqual([])
    expect(u.delete_on).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  }

  // New passwords and slips for one moved class, through the existing job.
  await wizard.getByRole('button', { name: 'New passwords and slips for 2A' }).click()
  const reset = page.getByRole('dialog', { name: 'Reset passwords and print slips' })
  await expect(reset).toContainText('everyone in 2A')
  await reset.getByRole('button', { name: 'Reset passwords' }).click()
  await expect(reset.getByRole('button', { name: 'Download slips (PDF)' })).toBeVisible()
  await reset.getByRole('button', { name: 'Done, forget the passwords' }).click()
  // Nothing was downloaded: forgetting the passwords asks first.
  await page.getByRole('dialog', { name: 'Forget the passwords?' }).getByRole('button', { name: 'Forget them' }).click()
  await expect(reset).toBeHidden()

  // Undo restores the backup taken just before the rollover.
  await wizard.getByRole('button', { name: 'Undo' }).click()
  const confirm = page.getByRole('dialog', { name: 'Undo the rollover?' })
  await confirm.getByRole('button', { name: 'Undo the rollover' }).click()
  await page.getByRole('dialog', { name: 'Rollover undone' }).getByRole('button', { name: 'Continue' }).click()
  // The backup was taken after this sign-in: the session is in it, no new sign-in.
  await expect(page.getByRole('heading', { name: 'Groups' })).toBeVisible()
  // The page shows the restored classes, not what it had loaded before.
  await expect(page.getByRole('row', { name: /^1A\b/ })).toContainText('3 members')
  expect(await users(page.request)).toBe(before)
})
