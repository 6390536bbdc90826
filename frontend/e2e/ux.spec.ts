import { expect, test, type Page } from '@playwright/test'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// What a school's IT person must not lose or be surprised by (issue 18):
// one-time passwords not yet downloaded are asked about before the page is
// left, and can be found again under Recent results while they are kept;
// groups an import makes have an invite code and a poster; Reject asks
// first and can be undone for a few seconds; the classroom display shows the network address once network
// sign-up is on. This spec runs its own `rollcall serve` (port 18550) on a
// database prepared with the CLI.

const bin = process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = 18550
const lanPort = 18551 // sign-up on this network, open from the start (--public-addr)
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'apple tree 2026' }

let dir = ''
let server: ChildProcess | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'ux.db')], { encoding: 'utf8', input })
}

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-ux-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['org', 'set', '--org', 'maple', '--public-url', 'https://rollcall.maple.example'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '3B'])
  rollcall(['admin', 'create', '--username', admin.username], admin.password + '\n')
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--public-addr', `127.0.0.1:${lanPort}`, '--db', join(dir, 'ux.db')], base)
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

const nav = (page: Page) => page.getByRole('navigation', { name: 'Sections' })

test('leaving undownloaded passwords asks first, and Recent results opens them again', async ({ page }) => {
  await signIn(page)
  await nav(page).getByRole('link', { name: 'Add users' }).click()
  await page.getByRole('tab', { name: 'Manual creation' }).click()
  await page.getByLabel('Names, one person per line').fill('Emma Smith\nLiam Jones\nAino Korhonen')
  await page.getByRole('button', { name: 'Create 3 accounts' }).click()
  await expect(page.getByText('3 accounts ready')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByText(/They are kept until .* \(15 minutes from now\)/)).toBeVisible()

  // A click on Users asks; "Stay here" keeps the results on the screen.
  await nav(page).getByRole('link', { name: 'Users', exact: true }).click()
  let ask = page.getByRole('dialog', { name: 'Leave without downloading the passwords?' })
  await expect(ask).toContainText('The passwords of 3 accounts: not downloaded yet.')
  await ask.getByRole('button', { name: 'Stay here' }).click()
  await expect(ask).toBeHidden()
  await expect(page).toHaveURL(/#\/o\/maple\/add\?tab=manual$/)
  await expect(page.getByText('3 accounts ready')).toBeVisible()

  // Closing the tab asks too (the browser's own question).
  let asked = false
  page.once('dialog', async (d) => {
    asked = d.type() === 'beforeunload'
    await d.dismiss()
  })
  await page.close({ runBeforeUnload: true })
  await expect.poll(() => asked).toBe(true)
})

test('Recent results reopen a finished job and download its slips', async ({ page }) => {
  await signIn(page)
  await nav(page).getByRole('link', { name: 'Add users' }).click()
  await page.getByRole('tab', { name: 'Manual creation' }).click()
  await page.getByLabel('Names, one person per line').fill('Olivia Brown\nNoah Wilson')
  await page.getByRole('button', { name: 'Create 2 accounts' }).click()
  await expect(page.getByText('2 accounts ready')).toBeVisible({ timeout: 60_000 })
  // Leave anyway.
  await nav(page).getByRole('link', { name: 'Groups', exact: true }).click()
  await page.getByRole('dialog', { name: 'Leave without downloading the passwords?' }).getByRole('button', { name: 'Leave this page' }).click()
  await expect(page.getByRole('heading', { name: 'Groups', exact: true })).toBeVisible()

  // The badge in the top bar, and the list on Add users.
  const badge = page.getByTestId('recent-badge')
  await expect(badge).toBeVisible()
  await nav(page).getByRole('link', { name: 'Add users' }).click()
  const recent = page.getByTestId('recent-results')
  await expect(recent.getByRole('heading', { name: /Recent results — still downloadable for 1[45] minutes/ })).toBeVisible()
  const item = recent.getByRole('listitem').filter({ hasText: '2 accounts' })
  await item.getByRole('button', { name: 'Open downloads' }).click()
  const dlg = page.getByRole('dialog', { name: 'New accounts' })
  await expect(dlg.getByText('2 accounts ready')).toBeVisible()
  const [dl] = await Promise.all([page.waitForEvent('download'), dlg.getByRole('button', { name: 'Download slips (PDF)' }).click()])
  const pdf = join(dir, 'recent-slips.pdf')
  await dl.saveAs(pdf)
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' })
  expect(text).toContain('Olivia Brown')
  expect(text).toContain('noah.wilson')
  await dlg.getByRole('button', { name: 'Done, forget the passwords' }).click()
  await expect(dlg).toBeHidden()
  await expect(recent.getByRole('listitem').filter({ hasText: '2 accounts' })).toHaveCount(0)

  // The badge opens the same list from any page.
  await nav(page).getByRole('link', { name: 'Users', exact: true }).click()
  await badge.click()
  await expect(page.getByRole('dialog', { name: 'Recent results' }).getByRole('button', { name: 'Open downloads' }).first()).toBeVisible()
})

test('a group the import makes has a working invite code and poster', async ({ page }) => {
  await signIn(page)
  await nav(page).getByRole('link', { name: 'Add users' }).click()
  await page.getByRole('tab', { name: 'Import file' }).click()
  const csv =
    'first_name;last_name;email;username;group;account_type;language;password\n' +
    'Ada;Lovelace;ada.lovelace@maple.example;ada.lovelace;4C;student;en;\n' +
    'Alan;Turing;alan.turing.the.second@maple.example;;4C;student;en;\n'
  await page.locator('input[type=file]').setInputFiles({ name: 'class-4c.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await page.getByLabel(/Create the missing groups/).check()
  // At 1280 px, who signs in as what is seen without sideways scrolling
  // (the file's further columns may scroll).
  const wrap = page.locator('.table-wrap').first()
  await expect(wrap).toContainText('alan.turing')
  await page.screenshot({ path: `${test.info().project.testDir}/artifacts/ux-import-preview-1280x800.png`, fullPage: true })
  const box = (await wrap.boundingBox())!
  const signsIn = (await wrap.getByRole('columnheader', { name: 'Signs in as' }).boundingBox())!
  expect(signsIn.x + signsIn.width).toBeLessThanOrEqual(box.x + box.width)
  await page.setViewportSize({ width: 1024, height: 768 })
  await page.screenshot({ path: `${test.info().project.testDir}/artifacts/ux-import-preview-1024x768.png`, fullPage: true })
  await page.setViewportSize({ width: 1280, height: 800 })
  await page.getByRole('button', { name: 'Create 2 accounts' }).click()
  await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible({ timeout: 60_000 })
  await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download results (CSV)' }).click()])
  await page.getByRole('button', { name: 'Done' }).click()

  await nav(page).getByRole('link', { name: 'Groups', exact: true }).click()
  await page.getByRole('button', { name: /^Invite code of 4C/ }).click()
  const dlg = page.getByRole('dialog', { name: 'Invite code · 4C' })
  const [dl] = await Promise.all([page.waitForEvent('download'), dlg.getByRole('button', { name: 'Poster A4 (PDF)' }).click()])
  const pdf = join(dir, 'poster-4c.pdf')
  await dl.saveAs(pdf)
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' })
  expect(text).toContain('4C')
  const code = text.match(/\b([0-9A-Z]{4}-[0-9A-Z]{4})\b/)?.[1] ?? ''
  expect(code).not.toBe('')
  // The code is the group's: with sign-up on, the public sign-up page knows it.
  await page.request.patch(`${base}/api/organizations/maple`, { data: { signup: { enabled: true } } })
  const r = await page.request.get(`${base}/api/public/codes/${code.replace('-', '')}`)
  expect(r.status()).toBe(200)
  expect(JSON.stringify(await r.json())).toContain('4C')
})

test('the display shows the network address once network sign-up is on', async ({ page }) => {
  await signIn(page)
  await page.request.patch(`${base}/api/organizations/maple`, { data: { signup: { enabled: true } } })
  await nav(page).getByRole('link', { name: 'Groups', exact: true }).click()
  await page.getByRole('button', { name: /^Invite code of 3B/ }).click()
  const dlg = page.getByRole('dialog', { name: 'Invite code · 3B' })
  await expect(dlg.getByRole('link', { name: new RegExp(`^http://127\\.0\\.0\\.1:${lanPort}/join/`) })).toBeVisible()
  await dlg.getByRole('link', { name: 'Show on screen' }).click()
  const display = page.getByTestId('classroom-display')
  await expect(display.locator('.address')).toHaveText(`127.0.0.1:${lanPort}/join`)
  // The public address can be chosen on the display itself.
  await display.getByLabel('Address').selectOption('https://rollcall.maple.example')
  await expect(display.locator('.address')).toHaveText('rollcall.maple.example/join')
})

test('Reject in Approvals asks first', async ({ page }) => {
  await signIn(page)
  await page.request.patch(`${base}/api/organizations/maple`, { data: { signup: { enabled: true } } })
  const codes = await (await page.request.get(`${base}/api/organizations/maple/invite-codes`)).json()
  const c3b = (codes.codes as { name: string; code: string; group_id: string }[]).find((c) => c.name === '3B')!
  expect((await page.request.patch(`${base}/api/organizations/maple/groups/${c3b.group_id}/invite-code`, { data: { require_approval: true } })).ok()).toBe(true)
  const r = await page.request.post(`http://127.0.0.1:${lanPort}/api/public/codes/${c3b.code}/signup`, {
    data: { first_name: 'Omar', last_name: 'Benali', username: 'omar.b', password: 'tablet-pass-42' },
  })
  expect(r.status()).toBe(201)

  await nav(page).getByRole('link', { name: /Approvals/ }).click()
  const row = page.locator('tbody tr', { hasText: 'omar.b' })
  await row.getByRole('button', { name: /^Reject Omar/ }).click()
  const ask = page.getByRole('dialog', { name: /^Reject Omar/ })
  await expect(ask).toBeVisible()
  await ask.getByRole('button', { name: 'Cancel' }).click()
  await expect(ask).toBeHidden()
  await expect(row).toBeVisible()
  // Focus is back on the button that opened the question.
  await expect(row.getByRole('button', { name: /^Reject Omar/ })).toBeFocused()
  const waiting = async () =>
    ((await (await page.request.get(`${base}/api/organizations/maple/signups`)).json()).signups as { user: { username: string } }[]).map((p) => p.user.username)
  const rejectOmar = async () => {
    await row.getByRole('button', { name: /^Reject Omar/ }).click()
    await page.getByRole('dialog', { name: /^Reject Omar/ }).getByRole('button', { name: /^Reject Omar/ }).click()
    await expect(page.locator('tbody tr', { hasText: 'omar.b' })).toHaveCount(0)
  }
  // Confirmed, the rejection is held with an Undo; Undo brings the request back and nothing is sent.
  await rejectOmar()
  await expect(page.getByRole('status').filter({ hasText: '1 request rejected.' })).toBeVisible()
  await page.screenshot({ path: `${test.info().project.testDir}/artifacts/ux-reject-held.png` })
  await page.getByRole('button', { name: 'Undo the rejection' }).click()
  await expect(row).toBeVisible()
  await page.waitForTimeout(11_000) // longer than the undo time
  await expect(row).toBeVisible()
  expect(await waiting()).toContain('omar.b')
  // A rejection the server refuses says so, and the request waits again.
  await page.route('**/signups/reject', (r) => r.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ code: 'internal', message: 'Try later.' }) }))
  await rejectOmar()
  await expect(page.getByRole('alert').filter({ hasText: 'The rejection was not sent: Try later.' })).toBeVisible({ timeout: 15_000 })
  await expect(row).toBeVisible()
  await page.unroute('**/signups/reject')
  // Leaving the page at once sends the held rejection.
  await rejectOmar()
  await nav(page).getByRole('link', { name: 'Users', exact: true }).click()
  await expect.poll(waiting).not.toContain('omar.b')

  // Signing out at once sends it before the session ends.
  const again = await page.request.post(`http://127.0.0.1:${lanPort}/api/public/codes/${c3b.code}/signup`, {
    data: { first_name: 'Lea', last_name: 'Berg', username: 'lea.b', password: 'tablet-pass-43' },
  })
  expect(again.status()).toBe(201)
  await nav(page).getByRole('link', { name: /Approvals/ }).click()
  await page.locator('tbody tr', { hasText: 'lea.b' }).getByRole('button', { name: /^Reject Lea/ }).click()
  await page.getByRole('dialog', { name: /^Reject Lea/ }).getByRole('button', { name: /^Reject Lea/ }).click()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page.getByLabel('Username')).toBeVisible()
  await signIn(page)
  expect(await waiting()).not.toContain('lea.b')
})

test('by keyboard alone: a dialog opens, closes with Esc, and focus returns where it was', async ({ page }) => {
  await signIn(page)
  await page.keyboard.press('Tab') // the skip link comes first
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused()
  const add = page.getByRole('button', { name: 'Add person' })
  await add.focus()
  await page.keyboard.press('Enter')
  const dlg = page.getByRole('dialog', { name: 'Add a person' })
  await expect(dlg).toBeVisible()
  await expect(dlg.getByLabel('First name')).toBeFocused()
  await page.keyboard.type('Mia')
  await page.keyboard.press('Escape')
  await expect(dlg).toBeHidden()
  await expect(add).toBeFocused()
  // The sections are reached with Tab and followed with Enter.
  const groups = nav(page).getByRole('link', { name: 'Groups', exact: true })
  await groups.focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Groups', exact: true })).toBeVisible()
})

test('Add person with a generated password prints their slip', async ({ page }) => {
  await signIn(page)
  await page.getByRole('button', { name: 'Add person' }).click()
  const dlg = page.getByRole('dialog', { name: 'Add a person' })
  await dlg.getByLabel('First name').fill('Mia')
  await dlg.getByLabel('Last name').fill('Wilson')
  await dlg.getByLabel('Username').fill('mia.wilson')
  await dlg.getByLabel('Generate one and print a slip').check()
  await expect(dlg.getByLabel('Style')).toHaveValue('')
  await dlg.getByRole('button', { name: 'Add person' }).click()
  const slip = page.getByRole('dialog', { name: 'Mia Wilson: password slip' })
  await expect(slip.getByText('1 account ready')).toBeVisible({ timeout: 30_000 })
  const [dl] = await Promise.all([page.waitForEvent('download'), slip.getByRole('button', { name: 'Download slips (PDF)' }).click()])
  const pdf = join(dir, 'mia.pdf')
  await dl.saveAs(pdf)
  expect(execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' })).toContain('mia.wilson')
  await slip.getByRole('button', { name: 'Done, forget the passwords' }).click()
  await expect(slip).toBeHidden()
})
