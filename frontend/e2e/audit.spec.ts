import { expect, test } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { stop } from './stop'

// The audit log in the browser: an admin's changes appear on the Audit page,
// the action filter narrows it, and the CSV download holds what the page
// shows. Its own `rollcall serve` on a free port and a fresh database.

const admin = { username: 'it.admin', password: 'correct horse 42' }

let serve: ChildProcess
let base = ''
let dir = ''

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-audit-e2e-'))
  const bin = resolve(process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e')
  serve = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--db', join(dir, 'e2e.db')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
  base = await new Promise<string>((ok, fail) => {
    const rl = createInterface({ input: serve.stdout! })
    const timer = setTimeout(() => fail(new Error('serve did not start within 20 s')), 20_000)
    rl.on('line', (line) => {
      const m = line.match(/running at (http:\/\/\S+)/)
      if (m) {
        clearTimeout(timer)
        ok(m[1])
      }
    })
    serve.on('exit', (code) => fail(new Error(`serve exited with ${code}`)))
  })
})

test.afterAll(async () => {
  await stop(serve)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test('the Audit page shows who changed what, filters by action and downloads a CSV', async ({ page }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const shot = (name: string) => page.screenshot({ path: `${test.info().project.testDir}/artifacts/audit-${name}.png`, fullPage: true })

  await test.step('first admin, an organization, a retention of 400 days', async () => {
    await page.goto(base + '/')
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password', { exact: true }).fill(admin.password)
    await page.getByLabel('Password again').fill(admin.password)
    await page.getByRole('button', { name: 'Create admin and sign in' }).click()
    await page.getByRole('button', { name: 'Create the first organization' }).click()
    const dlg = page.getByRole('dialog', { name: 'New organization' })
    await dlg.getByLabel('Name', { exact: true }).fill('Maple Primary School')
    await dlg.getByLabel(/^Short name/).fill('maple')
    await dlg.getByRole('button', { name: 'Create organization' }).click()
    await expect(page).toHaveURL(/#\/o\/maple\/users$/)
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click()
    const keep = page.getByLabel('Keep the audit log for (days)')
    await expect(keep).toHaveValue('730')
    await keep.fill('400')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect(page.getByText('Settings saved.')).toBeVisible()
    await page.reload()
    await expect(page.getByLabel('Keep the audit log for (days)')).toHaveValue('400')
  })

  await test.step('two people added, one switched off (through the API, as the admin)', async () => {
    const add = async (first: string, last: string, username: string) => {
      const r = await page.request.post(base + '/api/organizations/maple/users', { data: { first_name: first, last_name: last, username } })
      expect(r.status()).toBe(201)
      return (await r.json()).id as string
    }
    await add('Ada', 'Lovelace', 'ada.lovelace')
    const grace = await add('Grace', 'Hopper', 'grace.hopper')
    const r = await page.request.post(base + `/api/organizations/maple/users/${grace}/deactivate`)
    expect(r.status()).toBe(200)
  })

  await test.step('the Audit page lists the changes, newest first', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click()
    await expect(page).toHaveURL(/#\/o\/maple\/audit$/)
    const table = page.getByRole('table', { name: 'Audit log' })
    await expect(table.locator('tbody tr').first()).toContainText('User switched off')
    await expect(table).toContainText('User added')
    await expect(table).toContainText('Settings changed')
    await expect(table).toContainText('Admin: it.admin')
    await expect(page.getByText('Kept for 400 days')).toBeVisible()
    await shot('all')
  })

  await test.step('filter by action', async () => {
    await page.getByLabel('What').selectOption({ label: 'User switched off' })
    await page.getByRole('button', { name: 'Show' }).click()
    const rows = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr')
    await expect(rows).toHaveCount(1)
    await expect(rows.first()).toContainText('Grace Hopper (grace.hopper)')
    await shot('filtered')
  })

  await test.step('download the filtered log as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
    expect(download.suggestedFilename()).toMatch(/^rollcall-audit-\d{4}-\d{2}-\d{2}\.csv$/)
    const text = readFileSync((await download.path())!, 'utf8').replace(/^\ufeff/, '')
    const lines = text.trim().split(/\r\n/)
    expect(lines[0]).toBe('time,organization,actor,actor_id,actor_name,action,target,target_id,target_name,detail')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain(',user.deactivate,')
    expect(lines[1]).toContain('Grace Hopper (grace.hopper)')
  })

  expect(pageErrors).toEqual([])
})
