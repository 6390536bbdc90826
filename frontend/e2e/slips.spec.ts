import { expect, test } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// A teacher pastes a class of 30 (six scripts and a Chinese name), fixes
// one username in the preview, creates the accounts and prints the slips.
// The PDF is read back as a printer and a phone would: pdftotext finds every
// name, username and password; zbarimg decodes every slip's QR code to the
// sign-in page with that pupil's username. This story runs its own
// `rollcall serve` on a database prepared with the CLI, next to the one
// rollcall.spec.ts uses.

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.E2E_PORT ?? 18397) + 3 // +1 and +2 are the sign-up spec's
const base = `http://127.0.0.1:${port}`
const publicURL = 'https://rollcall.maple.example'
const teacher = { username: 'teacher', password: 'apple tree 2026' }

const names = [
  'Łukasz Żółć', 'Zofia Wiśniewska', 'Jędrzej Ślusarczyk', 'Małgorzata Kowalczyk', 'Αθηνά Παπαδοπούλου',
  'Γιώργος Νικολάου', 'Δήμητρα Οικονόμου', 'Ольга Иванова', 'Дмитрий Смирнов', 'Олександр Шевченко',
  'Çağla Şahin', 'Ayşe Yılmaz', 'İbrahim Öztürk', 'Gülşen Doğan', 'Jürgen Müller',
  'Björn Weiß', 'Änne Schröder', 'Grete Straßburger', 'Søren Kierkegaard', 'Þóra Sigurðardóttir',
  'Lovelace, Ada', 'José Núñez', 'Emma Virtanen', 'Liam Smith', 'Noah Johnson',
  'Olivia Brown', 'Mia Wilson', 'Aino Korhonen', 'Ada Lovelace', '李 小龍',
]

let dir = ''
let server: ReturnType<typeof spawn> | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'slips.db')], { encoding: 'utf8', input })
}

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-slips-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['org', 'set', '--org', 'maple', '--public-url', publicURL])
  rollcall(['group', 'create', '--org', 'maple', '--name', '3B'])
  rollcall(['admin', 'create', '--username', teacher.username], teacher.password + '\n')
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'slips.db')], base)
})

test.afterAll(async () => {
  await stop(server)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** qrCodes decodes the QR code of each slip: A4 with cut lines is 2 × 5 cells of 95 × 55.4 mm from (10, 10) mm. */
function qrCodes(pdf: string, pages: number): string[] {
  const px = (mm: number) => String(Math.round((mm / 25.4) * 150))
  const crops: string[] = []
  for (let p = 1; p <= pages; p++) {
    for (let k = 0; k < 10; k++) {
      const out = join(dir, `p${p}c${k}`)
      const x = 10 + (k % 2) * 95
      const y = 10 + Math.floor(k / 2) * 55.4
      execFileSync('pdftoppm', ['-png', '-r', '150', '-f', String(p), '-l', String(p), '-x', px(x), '-y', px(y), '-W', px(95), '-H', px(55.4), '-singlefile', pdf, out], { encoding: 'utf8' })
      crops.push(out + '.png')
    }
  }
  let out = ''
  try {
    out = execFileSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', ...crops], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] })
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '') // exit 4: some crops (empty cells) have no code
  }
  return out.split('\n').filter((l) => l.trim() !== '')
}

test('a teacher creates 30 accounts and prints their slips', async ({ page, browser }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const shot = (name: string) => page.screenshot({ path: `${test.info().project.testDir}/artifacts/slips-${name}.png`, fullPage: true })

  await page.goto(base + '/')
  await page.getByLabel('Username').fill(teacher.username)
  await page.getByLabel('Password').fill(teacher.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add users' }).click()
  await page.getByRole('tab', { name: 'Manual creation' }).click()
  await expect(page).toHaveURL(/#\/o\/maple\/add\?tab=manual$/)
  await expect(page.getByRole('tab', { name: 'Manual creation' })).toHaveAttribute('aria-selected', 'true')

  await page.getByLabel('Names, one person per line').fill(names.join('\n'))
  const rows = page.locator('table.preview tbody tr')
  await expect(rows).toHaveCount(30)
  await expect(page.locator('tr[data-line="21"] td').nth(1)).toHaveText('Last, First')
  await expect(page.locator('tr[data-line="21"] td').nth(2)).toHaveText('Ada')
  await expect(page.getByLabel('Username for line 1', { exact: true })).toHaveValue('lukasz.zolc')
  await expect(page.getByLabel('Username for line 29', { exact: true })).toHaveValue('ada.lovelace2')
  await expect(page.getByTestId('strength')).toContainText('bits')

  // An edit makes the preview stale: Create waits for the fresh one, which
  // is what it then sends (never the text of an older preview).
  const box = page.getByLabel('Names, one person per line')
  await box.fill(names.join('\n') + '\nLate Addition')
  await expect(page.getByRole('button', { name: /^Create .*accounts$/ })).toBeDisabled()
  await expect(rows).toHaveCount(31)
  await expect(page.getByRole('button', { name: 'Create 31 accounts' })).toBeEnabled()
  await box.fill(names.join('\n'))
  await expect(page.getByRole('button', { name: /^Create .*accounts$/ })).toBeDisabled()
  await expect(rows).toHaveCount(30)

  // Adjust one username; the edit stays when the settings change.
  const edited = page.getByLabel('Username for line 5', { exact: true })
  await expect(edited).toHaveValue('athina.papadopoulou')
  await edited.fill('athina.p')
  await edited.press('Tab')
  await page.getByLabel('3B').check()
  await expect(page.getByText('30 people')).toBeVisible()
  await expect(edited).toHaveValue('athina.p')
  await page.getByLabel('Style').selectOption('random')
  await expect(page.getByTestId('strength')).toContainText('strong')
  await expect(edited).toHaveValue('athina.p')
  await shot('preview')

  await page.getByRole('button', { name: 'Create 30 accounts' }).click()
  await expect(page.getByText('30 accounts ready')).toBeVisible({ timeout: 60_000 })
  await shot('done')

  await page.getByLabel('Paper').selectOption('a4')
  await page.getByLabel('Slips layout').selectOption('cutlines')
  const slips = join(dir, 'slips.pdf')
  const csv = join(dir, 'accounts.csv')
  let [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download slips (PDF)' }).click()])
  expect(dl.suggestedFilename()).toMatch(/^slips-maple-3b-\d{4}-\d\d-\d\d\.pdf$/)
  await dl.saveAs(slips)
  ;[dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Spreadsheet (CSV)' }).click()])
  await dl.saveAs(csv)

  // The CSV has each pupil's password; the PDF must show them all.
  const lines = readFileSync(csv, 'utf8').replace(/^\ufeff/, '').trim().split(/\r?\n/).slice(1)
  expect(lines).toHaveLength(30)
  const accounts = lines.map((l) => {
    const [first, last, username, , password] = l.split(',')
    return { first, last, username, password }
  })
  expect(accounts.map((a) => a.username)).toContain('athina.p')
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', slips, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ')
  for (const a of accounts) {
    expect(text).toContain(`${a.first} ${a.last}`)
    expect(text).toContain(a.username)
    expect(text).toContain(a.password)
  }
  const codes = qrCodes(slips, 3).sort()
  expect(codes).toEqual(accounts.map((a) => `${publicURL}/signin?username=${encodeURIComponent(a.username)}`).sort())

  // A pupil scans a slip: the sign-in page opens with the username filled
  // in, and the password on the slip signs in.
  const pupil = accounts.find((a) => a.username === 'athina.p')!
  const code = codes.find((c) => c.endsWith('username=athina.p'))!
  const phoneContext = await browser.newContext()
  const phone = await phoneContext.newPage()
  await phone.goto(base + code.slice(publicURL.length))
  await expect(phone.getByLabel('Username or email')).toHaveValue('athina.p')
  await phone.getByLabel('Password').fill(pupil.password)
  await phone.getByRole('button', { name: 'Sign in' }).click()
  await expect(phone).toHaveURL(/\/account$/)
  await expect(phone.getByText('Hello, Αθηνά')).toBeVisible()
  await phoneContext.close()

  await page.getByRole('button', { name: 'Done, forget the passwords' }).click()
  await expect(page.getByLabel('Names, one person per line')).toHaveValue('')

  // Reset a whole group: new passwords, new slips.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Groups', exact: true }).click()
  await page.getByRole('button', { name: 'Reset passwords of 3B and print slips' }).click()
  let dlg = page.getByRole('dialog', { name: 'Reset passwords and print slips' })
  await expect(dlg).toContainText('everyone in 3B (30 members)')
  await dlg.getByRole('button', { name: 'Reset passwords' }).click()
  await expect(dlg.getByText('30 new passwords ready')).toBeVisible({ timeout: 60_000 })
  await shot('reset-group')
  ;[dl] = await Promise.all([page.waitForEvent('download'), dlg.getByRole('button', { name: 'Spreadsheet (CSV)' }).click()])
  await dl.saveAs(csv)
  const reset = readFileSync(csv, 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(',')[4])
  expect(reset).toHaveLength(30)
  expect(reset.filter((p) => accounts.some((a) => a.password === p))).toEqual([])
  await dlg.getByRole('button', { name: 'Done, forget the passwords' }).click()
  await expect(dlg).toBeHidden()

  // Reset two selected users.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users', exact: true }).click()
  await page.getByLabel('Select Łukasz Żółć').check()
  await page.getByLabel('Select Ada Lovelace').first().check()
  await page.getByRole('button', { name: 'Reset passwords and print slips (2)' }).click()
  dlg = page.getByRole('dialog', { name: 'Reset passwords and print slips' })
  await dlg.getByRole('button', { name: 'Reset passwords' }).click()
  await expect(dlg.getByText('2 new passwords ready')).toBeVisible({ timeout: 60_000 })
  ;[dl] = await Promise.all([page.waitForEvent('download'), dlg.getByRole('button', { name: 'Download slips (PDF)' }).click()])
  await dl.saveAs(slips)
  const two = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', slips, '-'], { encoding: 'utf8' })
  expect(two).toContain('lukasz.zolc')
  await dlg.getByRole('button', { name: 'Done, forget the passwords' }).click()
  expect(pageErrors).toEqual([])
})
