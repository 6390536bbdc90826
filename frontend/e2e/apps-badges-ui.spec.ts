import { expect, test, type Page } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// The admin pages for connected apps and badges, as the head of a school
// (an organization admin, not a server admin) uses them: she connects
// Moodle (its client secret is shown once), gives a new pupil of 2A a badge
// from the user dialog (its PDF downloads), and at the end of the term voids
// 2A's badges from the group page, the confirmation naming how many. Then a
// connected wiki's sign-in returns to the wiki after a badge and after the
// new password of an account that must choose one (not stopping at /account).
// This story runs its own `rollcall serve` on a database prepared with the
// CLI, on port 18520 ($APPS_BADGES_E2E_PORT); the wiki's callback is the port above it (answered
// by the browser's routing, nothing listens there).

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.APPS_BADGES_E2E_PORT ?? 18520)
const base = `http://127.0.0.1:${port}`
const head = { username: 'h.koskinen', password: 'Head-pass-12345' }

const wikiCallback = `http://127.0.0.1:${port + 1}/cb`
let piaBadge = ''
let wikiID = ''
let dir = ''
let server: ReturnType<typeof spawn> | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'apps.db')], {
    encoding: 'utf8',
    input,
    env: { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
}

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-apps-badges-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '2A'])
  writeFileSync(join(dir, '2a.txt'), 'Aino Korhonen\nLiam Smith\nOlivia Brown')
  rollcall(['users', 'create', '--org', 'maple', '--group', '2A', '--names', join(dir, '2a.txt'), '--slips', join(dir, 'slips.pdf')])
  rollcall(['badges', 'allow', '--org', 'maple', '--type', 'student', '--rule', 'badge'])
  rollcall(['badges', 'new', '--org', 'maple', '--group', '2A', '--out', join(dir, 'badges.pdf')])
  // A pupil who came later has no badge yet.
  writeFileSync(join(dir, 'new.txt'), 'Zoë Dupont')
  rollcall(['users', 'create', '--org', 'maple', '--group', '2A', '--names', join(dir, 'new.txt'), '--slips', join(dir, 'new.pdf')])
  // The head of the school administers the whole organization.
  writeFileSync(join(dir, 'head.txt'), `Heikki\tKoskinen\t${head.username}\t${head.password}`)
  rollcall(['users', 'create', '--org', 'maple', '--type', 'teacher', '--password-mode', 'given', '--names', join(dir, 'head.txt'), '--slips', join(dir, 'head.pdf')])
  rollcall(['users', 'roles', '--org', 'maple', '--user', head.username, '--org-admin'])
  // For the return to an app: Pia (3B) has a badge, Max (3B) must choose a new password; a wiki is connected.
  rollcall(['group', 'create', '--org', 'maple', '--name', '3B'])
  writeFileSync(join(dir, 'pia.txt'), `Pia\tPupil\tpia.pupil\tPia-pass-2026x`)
  rollcall(['users', 'create', '--org', 'maple', '--group', '3B', '--password-mode', 'given', '--names', join(dir, 'pia.txt'), '--slips', join(dir, 'pia.pdf')])
  rollcall(['badges', 'new', '--org', 'maple', '--user', 'pia.pupil', '--out', join(dir, 'pia-badge.pdf')])
  execFileSync('pdftoppm', ['-png', '-r', '200', '-f', '1', '-l', '1', '-singlefile', join(dir, 'pia-badge.pdf'), join(dir, 'pia-badge')])
  piaBadge = execFileSync('zbarimg', ['--raw', '-q', join(dir, 'pia-badge.png')], { encoding: 'utf8' }).trim()
  writeFileSync(join(dir, 'max.txt'), `Max\tPupil\tmax.pupil\tMax-pass-2026x`)
  rollcall(['users', 'create', '--org', 'maple', '--group', '3B', '--password-mode', 'given', '--must-change', '--names', join(dir, 'max.txt'), '--slips', join(dir, 'max.pdf')])
  const added = rollcall(['app', 'add', '--org', 'maple', '--name', 'Wiki', '--redirect', wikiCallback, '--account-type', 'student'])
  wikiID = /Client ID:\s+(\S+)/.exec(added)![1]
  // IT staff's own admin account (so the first page is the sign-in, not the first-run setup).
  rollcall(['admin', 'create', '--username', 'it.admin'], 'apple tree 2026\n')
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'apps.db')], base, {
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

const shot = (page: Page, name: string) => page.screenshot({ path: `${test.info().project.testDir}/artifacts/apps-badges-${name}.png`, fullPage: true })

test('an organization admin connects an app, gives a pupil a badge and voids 2A’s badges', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await signIn(page)
  const nav = page.getByRole('navigation', { name: 'Sections' })

  let secret = ''
  await test.step('Connected apps: Moodle is added and its secret is shown once', async () => {
    await nav.getByRole('link', { name: 'Connected apps' }).click()
    await expect(page.getByRole('heading', { name: 'Connected apps', exact: true })).toBeVisible()
    await expect(page.getByLabel('Discovery URL')).toHaveValue(`${base}/.well-known/openid-configuration`)
    await page.getByRole('button', { name: 'Add app' }).first().click()
    const dlg = page.getByRole('dialog', { name: 'Add a connected app' })
    await dlg.getByLabel('Name').fill('Moodle')
    await dlg.getByLabel('Redirect URIs').fill('https://moodle.maple.example/auth/oidc/')
    await dlg.getByLabel('Student').check()
    await dlg.getByLabel('Keep people signed in to the app (refresh tokens)').check()
    await dlg.getByRole('button', { name: 'Add app' }).click()
    const shown = page.getByRole('dialog', { name: 'Moodle is connected' })
    await expect(shown).toContainText('you will not see it again')
    secret = await shown.getByLabel('Client secret').inputValue()
    expect(secret.length).toBeGreaterThanOrEqual(20)
    await expect(shown.getByRole('button', { name: 'Copy' })).toHaveCount(3)
    await shot(page, '01-secret-once')
    await shown.getByRole('button', { name: 'I have copied it' }).click()
    await expect(shown).toBeHidden()
    const row = page.locator('tbody tr').filter({ hasText: 'Moodle' })
    await expect(row).toContainText('https://moodle.maple.example/auth/oidc/')
    await expect(row).toContainText('Confidential')
    await expect(row).toContainText('Stays signed in (refresh tokens)')
    await expect(row).toContainText('Student')
    // Nowhere on the page again, nor after a reload.
    await page.reload()
    await expect(page.locator('tbody tr').filter({ hasText: 'Moodle' })).toBeVisible()
    expect(await page.content()).not.toContain(secret)
  })

  await test.step('the user dialog: a new badge for Zoë downloads as a PDF', async () => {
    await nav.getByRole('link', { name: 'Users', exact: true }).click()
    const zoe = page.locator('tr[data-user-id]').filter({ hasText: 'Zoë' })
    await zoe.getByRole('button', { name: 'Edit Zoë Dupont' }).click()
    const dlg = page.getByRole('dialog', { name: 'Edit Zoë Dupont' })
    const badge = dlg.getByRole('region', { name: 'Sign-in badge' })
    await expect(badge).toContainText('Zoë has no badge.')
    await expect(badge.getByRole('button', { name: 'Revoke' })).toHaveCount(0)
    const [download] = await Promise.all([page.waitForEvent('download'), badge.getByRole('button', { name: 'New badge' }).click()])
    expect(download.suggestedFilename()).toMatch(/\.pdf$/)
    expect(readFileSync(await download.path()).subarray(0, 5).toString()).toBe('%PDF-')
    await expect(badge).toContainText('Badge made')
    await expect(badge.getByRole('button', { name: 'Revoke' })).toBeVisible()
    await shot(page, '02-user-badge')
    // A second one asks first: the old badge stops working.
    await badge.getByRole('button', { name: 'New badge' }).click()
    const ask = page.getByRole('dialog', { name: 'New badge for Zoë?' })
    await expect(ask).toContainText('stops working')
    await ask.getByRole('button', { name: 'Cancel' }).click()
    await expect(ask).toBeHidden()
    await dlg.getByRole('button', { name: 'Cancel' }).click()
    await expect(dlg).toBeHidden()
  })

  await test.step('the group page: 2A’s badges are voided, the confirmation naming the count', async () => {
    await page.goto(`${base}/#/o/maple/groups/2A`)
    const card = page.getByRole('region', { name: 'Sign-in badges' })
    await expect(card).toContainText('4 members have a badge')
    await expect(card.getByRole('button', { name: 'Print badges for 2A…' })).toBeVisible()
    await card.getByRole('button', { name: 'Void all badges of 2A…' }).click()
    const ask = page.getByRole('dialog', { name: 'Void 4 badges of 2A?' })
    await shot(page, '03-void-2a')
    await ask.getByRole('button', { name: 'Void 4 badges' }).click()
    await expect(ask).toBeHidden()
    await expect(page.getByText('4 badges of 2A voided.')).toBeVisible()
    await expect(card).toContainText('0 members have a badge')
    await expect(card.getByRole('button', { name: 'Void all badges of 2A…' })).toBeDisabled()
  })

  await test.step('Settings: the badge rule per account type; voiding every badge asks for the short name', async () => {
    await nav.getByRole('link', { name: 'Settings' }).click()
    const form = page.getByRole('form', { name: 'Sign-in badges' })
    await expect(form.getByLabel('Student: badge', { exact: true })).toBeChecked()
    await expect(form.getByLabel('Teacher: off')).toBeChecked()
    await form.getByRole('button', { name: 'Void every badge in the organization…' }).click()
    const ask = page.getByRole('dialog', { name: 'Void every badge in Maple Primary School?' })
    await expect(ask.getByRole('button', { name: 'Void every badge' })).toBeDisabled()
    await ask.getByLabel('Type maple to confirm').fill('maple')
    await expect(ask.getByRole('button', { name: 'Void every badge' })).toBeEnabled()
    await ask.getByRole('button', { name: 'Cancel' }).click() // Pia's badge is for the next story
    await expect(ask).toBeHidden()
    await form.screenshot({ path: `${test.info().project.testDir}/artifacts/apps-badges-04-settings.png` })
  })

  expect(errors).toEqual([])
})

// The wiki sends the browser to Rollcall; the page signs in and returns to
// the wiki with a code — after a badge, and after the new password of an
// account that must choose one first (not stopping at /account).
test('after a badge, a forced new password or a password, the sign-in returns to the app', async ({ browser }) => {
  expect(piaBadge).toMatch(/^RCB1:/)
  const authorize = `${base}/oidc/authorize?` + new URLSearchParams({ client_id: wikiID, redirect_uri: wikiCallback, response_type: 'code', scope: 'openid profile', state: 'st-1', nonce: 'n-1' })
  for (const who of ['pia', 'max', 'pia-password'] as const) {
    const ctx = await browser.newContext()
    const page = await ctx.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    // The wiki itself is not running: its callback answers here.
    let reached = ''
    await page.route(`${wikiCallback}**`, (route) => {
      reached = route.request().url()
      return route.fulfill({ contentType: 'text/html', body: '<h1>Wiki</h1>' })
    })
    await page.goto(authorize)
    await expect(page).toHaveURL(/\/signin\?authRequest=/)
    await expect(page.getByText('Sign in to continue to Wiki.')).toBeVisible()
    if (who === 'pia-password') {
      await page.getByLabel('Username or email').fill('pia.pupil')
      await page.getByLabel('Password', { exact: true }).fill('Pia-pass-2026x')
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    } else if (who === 'pia') {
      await page.getByRole('button', { name: 'Scan your badge' }).click()
      await page.getByLabel('Badge scanner').fill(piaBadge)
      await page.getByLabel('Badge scanner').press('Enter')
    } else {
      await page.getByLabel('Username or email').fill('max.pupil')
      await page.getByLabel('Password', { exact: true }).fill('Max-pass-2026x')
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect(page).toHaveURL(/\/account\/new-password\?authRequest=/)
      await page.getByRole('button', { name: 'Use this password' }).click()
      await page.getByRole('button', { name: 'Save my new password' }).click()
    }
    await expect(page.getByRole('heading', { name: 'Wiki' })).toBeVisible()
    expect(reached).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cb\?code=[^&]+&state=st-1$/)
    expect(errors).toEqual([])
    await ctx.close()
  }
})
