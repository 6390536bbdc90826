import { expect, test, type Page } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Issue 12: a headerless class list (Last;First;Class) is not refused: the
// preview asks what each column holds, the admin maps them, edits a name
// cell, picks the account type for the whole file and imports; the next
// file with the same columns is read with the mapping remembered. This
// story runs its own `rollcall serve` on a database prepared with the CLI,
// on port 18421 ($MAPPING_E2E_PORT), so that it never shares the other
// specs' organizations and usernames.

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.MAPPING_E2E_PORT ?? 18421)
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'correct horse 42' }

let dir = ''
let server: ReturnType<typeof spawn> | null = null

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-mapping-'))
  const db = join(dir, 'mapping.db')
  execFileSync(bin, ['org', 'create', '--name', 'Birch School', '--slug', 'birch', '--db', db])
  execFileSync(bin, ['admin', 'create', '--username', admin.username, '--db', db], { input: admin.password + '\n' })
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', db], base)
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
  await expect(page.getByText(`Signed in as ${admin.username}`)).toBeVisible()
}

const headerless = 'Lovelace;Ada;3B\r\nHopper;Grace;3B\r\nCruz;Maria de la;4A\r\n'

test('a headerless list: map its columns, fix a name, import; the mapping is remembered', async ({ page }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await signIn(page)
  await page.goto(base + '/#/o/birch/users')
  await expect(page).toHaveURL(/#\/o\/birch\/users/)
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add users' }).click()
  await page.getByRole('tab', { name: 'Import file' }).click()

  await test.step('upload: the preview asks what each column holds', async () => {
    await page.locator('input[type=file]').setInputFiles({ name: 'class.csv', mimeType: 'text/csv', buffer: Buffer.from(headerless) })
    await expect(page.getByRole('heading', { name: 'class.csv' })).toBeVisible()
    await expect(page.getByText('What does each column hold?')).toBeVisible()
    await expect(page.getByLabel('Summary')).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Read the file with these columns' })).toBeDisabled()
    await expect(page.getByLabel('The first row names the columns')).not.toBeChecked()
  })

  await test.step('map the columns', async () => {
    await page.getByLabel('Column 1', { exact: true }).selectOption('last_name')
    await page.getByLabel('Column 2', { exact: true }).selectOption('first_name')
    await page.getByLabel('Column 3', { exact: true }).selectOption('groups')
    await page.getByRole('button', { name: 'Read the file with these columns' }).click()
    const counts = page.getByLabel('Summary')
    await expect(counts).toContainText('3 with errors') // the groups do not exist yet
    await page.getByLabel(/Create the missing groups/).check()
    await expect(counts).toContainText('3 with warnings')
    await expect(page.getByRole('textbox', { name: 'Row 1 First name' })).toHaveValue('Ada')
    await expect(page.locator('tbody tr', { has: page.getByRole('textbox', { name: 'Row 1 First name' }) })).toContainText('ada.lovelace')
  })

  await test.step('fix a name cell and choose the account type for the whole file', async () => {
    const first = page.getByRole('textbox', { name: 'Row 3 First name' })
    await first.fill('Maria')
    await first.press('Enter')
    const last = page.getByRole('textbox', { name: 'Row 3 Last name' })
    await last.fill('de la Cruz')
    await last.press('Enter')
    await expect(page.locator('tbody tr', { has: first })).toContainText('maria.delacruz')
    await page.getByLabel('Account type for rows without one').selectOption('teacher')
    await expect(page.getByRole('button', { name: 'Create 3 accounts' })).toBeEnabled()
  })

  await test.step('import', async () => {
    await page.getByRole('button', { name: 'Create 3 accounts' }).click()
    await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible({ timeout: 30_000 })
    await expect(page.getByText('Groups created: 3B, 4A.')).toBeVisible()
    const users = await (await page.request.get(base + '/api/organizations/birch/users?per_page=50')).json()
    const byName = new Map<string, { account_type: string; first_name: string; last_name: string }>(users.users.map((u: { username: string }) => [u.username, u]))
    expect(byName.get('maria.delacruz')?.last_name).toBe('de la Cruz')
    expect(byName.get('grace.hopper')?.account_type).toBe('teacher')
    expect(byName.size).toBe(3)
    await page.getByRole('button', { name: 'Done' }).click()
    // Nothing was downloaded: Done asks before forgetting the passwords.
    await page.getByRole('dialog', { name: 'Forget the passwords?' }).getByRole('button', { name: 'Forget them' }).click()
  })

  await test.step('the next file with the same columns is read as mapped before', async () => {
    await page.locator('input[type=file]').setInputFiles({ name: 'next.csv', mimeType: 'text/csv', buffer: Buffer.from('Curie;Marie;4A\r\nNoether;Emmy;3B\r\n') })
    await expect(page.getByRole('heading', { name: 'next.csv' })).toBeVisible()
    await expect(page.getByText('The columns are read as you chose for a file like this before')).toBeVisible()
    await expect(page.getByLabel('Summary')).toContainText('2 ready as they are')
    await expect(page.getByRole('textbox', { name: 'Row 2 First name' })).toHaveValue('Emmy')
  })
  expect(pageErrors).toEqual([])
})
