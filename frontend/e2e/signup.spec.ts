/// <reference types="node" />
import { expect, test, type Page } from '@playwright/test'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { get as httpGet } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Classroom sign-up, as a teacher and pupils live it: a class, its code on
// the projector, a pupil's tablet scanning the QR code (read back from the
// screenshot with zbarimg) and signing up through the sign-up listener, the
// live count on the display; then with approval required, and approved.
//
// This spec runs its own `rollcall serve` (fresh database) with the sign-up
// listener open (--public-addr), on the two ports above E2E_PORT.

const base = Number(process.env.E2E_PORT ?? 18397)
const adminPort = base + 1
const lanPort = base + 2
const adminURL = `http://127.0.0.1:${adminPort}`
const admin = { username: 'class.teacher', password: 'correct horse 42' }

let server: ChildProcess

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-signup-'))
  const bin = process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${adminPort}`, '--public-addr', `127.0.0.1:${lanPort}`, '--db', join(dir, 'e2e.db')], adminURL, { keepOutput: true })
})

test.afterAll(async () => {
  await stop(server)
})

/** readQR decodes the QR code in a screenshot of the element, as a tablet camera would. */
async function readQR(page: Page, name: string): Promise<string> {
  const png = await page.getByRole('img', { name: /^QR code that opens/ }).screenshot()
  const file = join(test.info().project.testDir, 'artifacts', name)
  writeFileSync(file, png)
  return execFileSync('zbarimg', ['--quiet', '--raw', file]).toString().trim()
}

test('pupils sign up from the classroom display', async ({ page, browser }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const shot = (p: Page, name: string) => p.screenshot({ path: `${test.info().project.testDir}/artifacts/signup-${name}.png` })

  await test.step('first admin and an organization', async () => {
    const r1 = await page.request.post(`${adminURL}/api/setup`, { data: admin })
    expect(r1.status()).toBe(201)
    const r2 = await page.request.post(`${adminURL}/api/organizations`, { data: { name: 'Maple Primary', slug: 'maple' } })
    expect(r2.status()).toBe(201)
  })

  await test.step('create a group in the UI', async () => {
    await page.goto(`${adminURL}/#/o/maple/groups`)
    await page.getByRole('button', { name: 'Create the first group' }).click()
    const dlg = page.getByRole('dialog', { name: 'New group' })
    await dlg.getByLabel('Name', { exact: true }).fill('Class 3B')
    await dlg.getByRole('button', { name: 'Create group' }).click()
    await expect(page.getByRole('cell', { name: 'Class 3B', exact: true })).toBeVisible()
    await expect(page.getByRole('button', { name: /^Invite code of Class 3B/ })).toBeVisible()
    await shot(page, '01-groups-with-code')
  })

  await test.step('open the classroom display; sign-up is off until switched on', async () => {
    await page.getByRole('link', { name: 'Show the code of Class 3B on screen' }).click()
    const display = page.getByTestId('classroom-display')
    await expect(display.getByText('Sign-up with codes is switched off for Maple Primary.')).toBeVisible()
    await shot(page, '02-display-signup-off')
    await display.getByRole('button', { name: 'Turn sign-up on' }).click()
    await expect(display.getByRole('heading', { name: 'Class 3B' })).toBeVisible()
    await expect(display.getByTestId('signup-count')).toHaveText('0 signed up')
    await shot(page, '03-display')
  })

  const url = await readQR(page, 'signup-qr-1.png')
  const code = url.split('/').pop()!
  await test.step('the QR code opens the sign-up listener', async () => {
    expect(url).toBe(`http://127.0.0.1:${lanPort}/join/${code}`)
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/)
    await expect(page.getByText(code.slice(0, 4) + '-' + code.slice(4), { exact: true })).toBeVisible()
    // No admin route through it.
    const r = await page.request.get(`http://127.0.0.1:${lanPort}/api/organizations`)
    expect([401, 404]).toContain(r.status())
  })

  const tablet = await browser.newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true })
  const pupil = await tablet.newPage()
  pupil.on('pageerror', (e) => errors.push(e.message))

  await test.step('a pupil signs up on a tablet', async () => {
    await pupil.goto(url)
    await expect(pupil.getByRole('heading', { name: 'Join Class 3B' })).toBeVisible()
    await pupil.getByLabel('First name').fill('Łucja')
    await pupil.getByLabel('Last name').fill('Nowak')
    await pupil.getByLabel('Username').fill('lucja.nowak')
    await pupil.getByLabel('Password', { exact: true }).fill('tablet-pass-42')
    await shot(pupil, '04-pupil-form')
    await pupil.getByRole('button', { name: 'Sign up' }).click()
    await expect(pupil.getByRole('heading', { name: 'You’re in!' })).toBeVisible()
    await expect(pupil.getByText('lucja.nowak')).toBeVisible()
    await shot(pupil, '05-pupil-done')
  })

  await test.step('the display counts the sign-up while it is shown', async () => {
    await expect(page.getByTestId('signup-count')).toHaveText('1 signed up')
    await shot(page, '06-display-one')
    // Projector sizes: a 1080p beamer and an old 4:3 one; the QR code still reads.
    for (const [w, h] of [[1920, 1080], [1024, 768]]) {
      await page.setViewportSize({ width: w, height: h })
      await shot(page, `06-display-${w}x${h}`)
      expect(await readQR(page, `signup-qr-${w}.png`)).toBe(url)
    }
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  await test.step('a wrong code on the tablet says so', async () => {
    await pupil.goto(`http://127.0.0.1:${lanPort}/join`)
    await pupil.getByLabel('Have an invite code?').fill('k7qm-3xrd')
    await pupil.getByRole('button', { name: 'Continue' }).click()
    await expect(pupil.getByText('There is no code K7QM-3XRD. Check it and try again.')).toBeVisible()
    // Typed in small letters without the dash, the right code works.
    await pupil.getByLabel('Have an invite code?').fill(code.toLowerCase())
    await pupil.getByRole('button', { name: 'Continue' }).click()
    await expect(pupil.getByRole('heading', { name: 'Join Class 3B' })).toBeVisible()
  })

  await test.step('Esc leaves the display; approval is switched on', async () => {
    await page.keyboard.press('Escape')
    await expect(page.getByRole('heading', { name: 'Groups', exact: true })).toBeVisible()
    await page.getByRole('button', { name: /^Invite code of Class 3B/ }).click()
    const dlg = page.getByRole('dialog', { name: 'Invite code · Class 3B' })
    await dlg.getByLabel('New people wait for approval').check()
    await dlg.getByRole('button', { name: 'Save settings' }).click()
    await expect(page.getByRole('status').filter({ hasText: /saved/ })).toBeVisible()
    await shot(page, '07-code-dialog')
    await dlg.getByRole('link', { name: 'Show on screen' }).click()
    await expect(page.getByTestId('pending-count')).toHaveText('0 waiting for approval')
  })

  await test.step('a second pupil waits for approval', async () => {
    expect(await readQR(page, 'signup-qr-2.png')).toBe(url)
    await pupil.goto(url)
    await expect(pupil.getByText('Your account will be ready once your teacher or IT staff approve it.')).toBeVisible()
    await pupil.getByLabel('First name').fill('Omar')
    await pupil.getByLabel('Username').fill('omar.b')
    await pupil.getByLabel('Password', { exact: true }).fill('tablet-pass-42')
    await pupil.getByRole('button', { name: 'Sign up' }).click()
    await expect(pupil.getByRole('heading', { name: 'Almost there' })).toBeVisible()
    await shot(pupil, '08-pupil-pending')
    await expect(page.getByTestId('pending-count')).toHaveText('1 waiting for approval')
    await expect(page.getByTestId('signup-count')).toHaveText('2 signed up')
    await shot(page, '09-display-pending')
  })

  await test.step('the teacher approves', async () => {
    await page.keyboard.press('Escape')
    const approvals = page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: /Approvals/ })
    await expect(approvals).toContainText('1')
    await approvals.click()
    const row = page.locator('tbody tr', { hasText: 'omar.b' })
    await expect(row).toContainText('code ' + code.slice(0, 4) + '-' + code.slice(4))
    await shot(page, '10-approvals')
    await row.getByRole('button', { name: 'Approve Omar' }).click()
    await expect(page.getByRole('heading', { name: 'Nobody is waiting' })).toBeVisible()
    await expect(approvals).not.toContainText('1')
    const users = await (await page.request.get(`${adminURL}/api/organizations/maple/users?q=omar`)).json()
    expect(users.users[0].status).toBe('active')
  })

  await test.step('an invite link with a password', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Invite links' }).click()
    await page.getByRole('button', { name: 'Make the first link' }).click()
    const dlg = page.getByRole('dialog', { name: 'New invite link' })
    await dlg.getByLabel('Name').fill('Staff day')
    await dlg.getByLabel('New people are').selectOption('teacher')
    await dlg.getByLabel('Link password').fill('maple-staff')
    await dlg.getByRole('button', { name: 'Make link' }).click()
    const shown = page.getByRole('dialog', { name: /^Invite link Staff day/ })
    const address = await shown.getByLabel('Invite link address').inputValue()
    expect(address).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${lanPort}/link/[A-Za-z0-9_-]{43}$`))
    await shot(page, '11-link-made')
    await shown.getByRole('button', { name: 'Done' }).click()
    await expect(page.locator('tbody tr', { hasText: 'Staff day' })).toContainText('0')

    await pupil.goto(address)
    await expect(pupil.getByRole('heading', { name: 'Join Maple Primary' })).toBeVisible()
    await pupil.getByLabel('First name').fill('Tea')
    await pupil.getByLabel('Username').fill('tea.cher')
    await pupil.getByLabel('Password', { exact: true }).fill('teacher-pass-42')
    await pupil.getByLabel('Link password').fill('wrong-one')
    await pupil.getByRole('button', { name: 'Sign up' }).click()
    await expect(pupil.getByRole('alert').first()).toContainText('The link password is wrong')
    await pupil.getByLabel('Link password').fill('maple-staff')
    await pupil.getByRole('button', { name: 'Sign up' }).click()
    await expect(pupil.getByRole('heading', { name: 'You’re in!' })).toBeVisible()
    await page.reload()
    await expect(page.locator('tbody tr', { hasText: 'Staff day' })).toContainText('1')
    await shot(page, '12-links')
  })

  await test.step('the sign-up settings', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click()
    await expect(page.getByRole('switch', { name: 'Open sign-up on this network' })).toBeChecked()
    await expect(page.getByText(`http://127.0.0.1:${lanPort}/join`)).toBeVisible()
    await page.screenshot({ path: `${test.info().project.testDir}/artifacts/signup-13-settings-signup.png`, fullPage: true })
    await pupil.goto(`http://127.0.0.1:${lanPort}/`)
    await expect(pupil.getByLabel('Have an invite code?')).toBeVisible()
    await shot(pupil, '14-join-box')
  })

  await test.step('a signed-in pupil uses another class’s code on their account page', async () => {
    const g = await page.request.post(`${adminURL}/api/organizations/maple/groups`, { data: { name: 'Choir' } })
    expect(g.status()).toBe(201)
    const choir = await (await page.request.get(`${adminURL}/api/organizations/maple/groups/Choir/invite-code`)).json()
    await pupil.goto(`http://127.0.0.1:${lanPort}/signin?username=lucja.nowak`)
    await pupil.getByLabel('Password').fill('tablet-pass-42')
    await pupil.getByRole('button', { name: 'Sign in' }).click()
    await expect(pupil).toHaveURL(/\/account$/)
    await expect(pupil.getByRole('heading', { name: 'Hello, Łucja' })).toBeVisible()
    await pupil.getByLabel('Invite code', { exact: true }).fill(choir.display.toLowerCase())
    await pupil.getByRole('button', { name: 'Use invite code' }).click()
    await expect(pupil.getByText('You joined Choir.')).toBeVisible()
    await expect(pupil.locator('.chip', { hasText: 'Choir' })).toBeVisible()
    await shot(pupil, '15-account-invite-code')
  })

  await test.step('wrong codes from everywhere pause sign-up; the admin sees it and opens it again', async () => {
    // 100 wrong codes (the server-wide limit) from 100 loopback addresses,
    // as if from as many tablets.
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port: lanPort, path: `/api/public/codes/ZZZZ${String(i).padStart(4, '0')}`, localAddress: `127.0.1.${i + 1}` }, (res) => {
          res.resume()
          res.on('end', () => resolve())
        }).on('error', reject)
      })
    }
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click()
    await page.reload()
    const banner = page.getByRole('status').filter({ hasText: 'Sign-up with codes and links is paused on this server' })
    await expect(banner).toBeVisible()
    await banner.scrollIntoViewIfNeeded()
    await shot(page, '16-settings-paused')
    await page.getByLabel('Chosen by the person from a list').check()
    await page.getByText('The list has the classes').scrollIntoViewIfNeeded()
    await shot(page, '17-settings-choose')
    await banner.getByRole('button', { name: 'Open sign-up again' }).click()
    await expect(banner).toBeHidden()
    await pupil.goto(url)
    await expect(pupil.getByRole('heading', { name: 'Join Class 3B' })).toBeVisible()
  })

  await tablet.close()
  expect(errors).toEqual([])
})
