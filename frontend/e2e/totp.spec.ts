import { expect, test, type Page } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Secret, TOTP } from 'otpauth'
import { startServe } from './serve'
import { stop } from './stop'

// Two-step sign-in (issue 13), as an admin does it in the browser: Settings
// → Your account gives a display name (shown at the top), turns two-step
// sign-in on with the QR code's secret and a code the test computes as a
// phone's authenticator app would, keeps a recovery code, signs out, and
// signs in with the password and then the code; a wrong code is refused,
// and a recovery code works once. Its own server runs on E2E_PORT + 43
// (18440), with its own key file.

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.E2E_PORT ?? 18397) + 43
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'apple tree 2026' }

let dir = ''
let server: ReturnType<typeof spawn> | null = null

test.beforeAll(async () => {
  test.setTimeout(60_000)
  dir = mkdtempSync(join(tmpdir(), 'rollcall-totp-'))
  const childEnv = { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') }
  const db = join(dir, 'totp.db')
  execFileSync(bin, ['admin', 'create', '--username', admin.username, '--db', db], { input: admin.password + '\n', env: childEnv, stdio: ['pipe', 'ignore', 'ignore'] })
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', db], base, { env: childEnv })
})

test.afterAll(async () => {
  await stop(server)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function password(page: Page) {
  await page.goto(base + '/')
  await page.getByLabel('Username').fill(admin.username)
  await page.getByLabel('Password').fill(admin.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/** nextCode waits for a time step no code was used in yet and returns its code: each code works once. */
async function nextCode(totp: TOTP, used: Set<number>): Promise<string> {
  for (;;) {
    const step = Math.floor(Date.now() / 30_000)
    // Not in the last two seconds of a step, so the server reads the same one.
    if (!used.has(step) && Date.now() % 30_000 < 28_000) {
      used.add(step)
      return totp.generate()
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

test('an admin turns on two-step sign-in and signs in with password and code', async ({ page }) => {
  test.setTimeout(150_000)
  const used = new Set<number>()
  await password(page)
  await expect(page.getByRole('button', { name: 'Create the first organization' })).toBeVisible()
  // Settings lives under an organization.
  await page.getByRole('button', { name: 'Create the first organization' }).click()
  await page.getByLabel('Name', { exact: true }).fill('Maple Primary')
  await page.getByRole('button', { name: /^Create/ }).last().click()
  await page.getByRole('link', { name: 'Settings' }).click()

  // The display name, shown at the top.
  const account = page.locator('section', { has: page.getByRole('heading', { name: 'Your account' }) })
  await account.getByLabel('Your name').fill('Ms Virtanen')
  await account.getByRole('button', { name: 'Save name' }).click()
  await expect(page.getByText('Your name is now Ms Virtanen.')).toBeVisible()
  await page.reload()
  await expect(page.locator('.who')).toContainText('Ms Virtanen')

  // Two-step sign-in: the QR code and its secret in text; a wrong code first.
  await account.getByRole('button', { name: 'Turn on two-step sign-in' }).click()
  const dialog = page.getByRole('dialog', { name: 'Turn on two-step sign-in' })
  await expect(dialog.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible()
  const secret = ((await dialog.getByTestId('two-step-secret').textContent()) ?? '').replace(/\s+/g, '')
  expect(secret).toMatch(/^[A-Z2-7]{32}$/)
  const totp = new TOTP({ issuer: 'Rollcall', label: admin.username, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) })
  await dialog.getByLabel('Code from the app').fill('000000')
  await dialog.getByRole('button', { name: 'Turn on two-step sign-in' }).click()
  await expect(dialog.getByText(/The code is wrong/)).toBeVisible()
  await dialog.getByLabel('Code from the app').fill(await nextCode(totp, used))
  await dialog.getByRole('button', { name: 'Turn on two-step sign-in' }).click()

  // The recovery codes, shown once.
  const codesDialog = page.getByRole('dialog', { name: 'Your recovery codes' })
  await expect(codesDialog.getByTestId('recovery-codes').locator('code')).toHaveCount(10) // allTextContents does not wait
  const codes = (await codesDialog.getByTestId('recovery-codes').locator('code').allTextContents()).map((c) => c.trim())
  expect(codes).toHaveLength(10)
  await codesDialog.getByLabel('I have saved my recovery codes').check()
  await codesDialog.getByRole('button', { name: 'Done' }).click()
  await expect(account.getByText('10 recovery codes left.')).toBeVisible()

  // Sign out; the password alone now asks for the code.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await expect(page.getByText('You are signed out.')).toBeVisible()
  await password(page)
  await expect(page.getByRole('heading', { name: 'Two-step sign-in' })).toBeVisible()
  const cookies = await page.context().cookies()
  expect(cookies.find((c) => c.name === 'rollcall_session')).toBeUndefined()
  expect(cookies.find((c) => c.name === 'rollcall_signin')?.httpOnly).toBe(true)
  await page.getByLabel('Code').fill('123456')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByText(/The code is wrong/)).toBeVisible()
  await page.getByLabel('Code').fill(await nextCode(totp, used))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.locator('.who')).toContainText('Ms Virtanen')

  // The sessions list shows this browser; a recovery code works once.
  await page.getByRole('link', { name: 'Settings' }).click()
  await expect(page.getByRole('table', { name: 'Your sessions' }).getByText('This browser')).toBeVisible()
  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await expect(page.getByText('You are signed out.')).toBeVisible()
  await password(page)
  await page.getByLabel('Code').fill(codes[0].toLowerCase())
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.locator('.who')).toContainText('Ms Virtanen')
  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await password(page)
  await page.getByLabel('Code').fill(codes[0])
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByText(/The code is wrong/)).toBeVisible()
})
