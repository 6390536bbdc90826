import { expect, test, type Page } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Settings → Provisioning, as the head of a school (an organization admin)
// uses it: she makes a token for Entra ID (shown once), the directory
// provisions a teacher with it (a real SCIM request), the token's last use
// shows, the users list marks the teacher "Directory" and the user dialog
// warns that the next sync overwrites local edits; revoked, the token is
// refused. This story runs its own `rollcall serve` on port 18530
// ($PROVISIONING_E2E_PORT), on a database prepared with the CLI.

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.PROVISIONING_E2E_PORT ?? 18530)
const base = `http://127.0.0.1:${port}`
const head = { username: 'h.koskinen', password: 'Head-pass-12345' }
let dir = ''
let server: ReturnType<typeof spawn> | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'scim.db')], { encoding: 'utf8', input, env: { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') } })
}

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-scim-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  writeFileSync(join(dir, 'head.txt'), `Heikki\tKoskinen\t${head.username}\t${head.password}`)
  rollcall(['users', 'create', '--org', 'maple', '--type', 'teacher', '--password-mode', 'given', '--names', join(dir, 'head.txt'), '--slips', join(dir, 'head.pdf')])
  rollcall(['users', 'roles', '--org', 'maple', '--user', head.username, '--org-admin'])
  rollcall(['admin', 'create', '--username', 'it.admin'], 'apple tree 2026\n')
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'scim.db')], base, {
    env: { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
})

test.afterAll(async () => {
  await stop(server)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(page: Page) {
  await page.goto(base + '/')
  await page.getByLabel('Username').fill(head.username)
  await page.getByLabel('Password').fill(head.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
}

/** scim sends a request to Maple's SCIM endpoint as the directory does. */
async function scim(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${base}/scim/v2/maple${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${test.info().project.testDir}/artifacts/provisioning-${name}.png`, fullPage: true })

test('an organization admin connects the directory with a token, sees what it provisions, and revokes it', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await signIn(page)
  const nav = page.getByRole('navigation', { name: 'Sections' })
  await nav.getByRole('link', { name: 'Settings' }).click()
  const section = page.getByRole('region', { name: 'Provisioning' })
  await expect(section.getByLabel('Tenant URL')).toHaveValue(`${base}/scim/v2/maple`)
  await expect(section).toContainText('No tokens yet')

  let token = ''
  await test.step('a token for Entra ID is made and shown once', async () => {
    await section.getByLabel('New token’s name').fill('Entra ID')
    await section.getByRole('button', { name: 'Make a token' }).click()
    await expect(section).toContainText('you will not see it again')
    token = await section.getByLabel('Secret token').inputValue()
    expect(token).toMatch(/^scim_[A-Za-z0-9_-]{40,}$/)
    await expect(section.locator('tr[data-token-id]').filter({ hasText: 'Entra ID' })).toContainText('never')
    await shot(page, '01-token-once')
    await section.getByRole('button', { name: 'Done, I copied it' }).click()
    await expect(section.getByLabel('Secret token')).toHaveCount(0)
    await page.reload()
    await expect(page.getByRole('region', { name: 'Provisioning' }).locator('tr[data-token-id]')).toHaveCount(1)
    expect(await page.content()).not.toContain(token)
  })

  await test.step('the directory provisions a teacher with it', async () => {
    const res = await scim('POST', '/Users', token, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'anna.virtanen@maple.example',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'anna.virtanen@maple.example' }],
      name: { givenName: 'Anna', familyName: 'Virtanen' },
      title: 'Class teacher',
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('content-type')).toBe('application/scim+json')
    await page.reload()
    const row = page.getByRole('region', { name: 'Provisioning' }).locator('tr[data-token-id]').filter({ hasText: 'Entra ID' })
    await expect(row).not.toContainText('never')
  })

  await test.step('the users list marks her as the directory’s, and the dialog warns before an edit', async () => {
    await nav.getByRole('link', { name: 'Users', exact: true }).click()
    const anna = page.locator('tr[data-user-id]').filter({ hasText: 'Anna Virtanen' })
    await expect(anna.getByText('Directory', { exact: true })).toBeVisible()
    await expect(page.locator('tr[data-user-id]').filter({ hasText: 'Heikki' }).getByText('Directory', { exact: true })).toHaveCount(0)
    await anna.getByRole('button', { name: 'Edit Anna Virtanen' }).click()
    const dlg = page.getByRole('dialog', { name: 'Edit Anna Virtanen' })
    await expect(dlg.getByRole('status').filter({ hasText: 'managed by the school’s directory' })).toContainText('overwritten at its next sync')
    await shot(page, '02-managed-warning')
    await dlg.getByRole('button', { name: 'Cancel' }).click()
  })

  await test.step('revoked, the token is refused', async () => {
    await nav.getByRole('link', { name: 'Settings' }).click()
    const s = page.getByRole('region', { name: 'Provisioning' })
    await s.getByRole('button', { name: 'Revoke Entra ID' }).click()
    await page.getByRole('dialog', { name: 'Revoke Entra ID?' }).getByRole('button', { name: 'Revoke token' }).click()
    await expect(s).toContainText('No tokens yet')
    const res = await scim('GET', '/Users', token)
    expect(res.status).toBe(401)
    expect((await res.json()).status).toBe('401')
  })
  expect(errors).toEqual([])
})
