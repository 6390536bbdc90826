import { expect, test } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// A pupil holds a printed badge up to the tablet's camera on /signin and
// lands on /account (issue 15, shown 3). The camera is Chromium's fake
// camera playing a video made from the badge PDF as printed: page 1
// rendered by pdftoppm, its first badge cropped, repeated as MJPEG frames.
// Then the badge is voided and the same video is refused exactly as an
// unknown badge is. This story runs its own `rollcall serve` on port 18490
// ($BADGE_E2E_PORT).

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.BADGE_E2E_PORT ?? 18490)
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.badges', password: 'maple leaf 2026' }
const dir = mkdtempSync(join(tmpdir(), 'rollcall-badge-'))
const video = join(dir, 'badge.mjpeg')

let server: ReturnType<typeof spawn> | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'badge.db')], { encoding: 'utf8', input })
}

test.use({
  baseURL: base,
  permissions: ['camera'],
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`],
  },
})
test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '2A'])
  rollcall(['admin', 'create', '--username', admin.username], admin.password + '\n')
  writeFileSync(join(dir, '2a.txt'), 'Bo Berg\nAda Lovelace')
  rollcall(['users', 'create', '--org', 'maple', '--group', '2A', '--names', join(dir, '2a.txt'), '--slips', join(dir, 'slips.pdf')])
  rollcall(['badges', 'allow', '--org', 'maple', '--type', 'student', '--rule', 'badge'])
  rollcall(['badges', 'new', '--org', 'maple', '--group', '2A', '--out', join(dir, 'badges.pdf')])
  // The first badge of page 1 (Bo Berg's: sorted by last name), at 150 dpi:
  // the badge is at 10 mm, 10 mm and 95 × 55 mm; a 640 × 480 crop holds it.
  execFileSync('pdftoppm', ['-jpeg', '-r', '150', '-f', '1', '-l', '1', '-x', '0', '-y', '0', '-W', '640', '-H', '480', '-singlefile',
    join(dir, 'badges.pdf'), join(dir, 'frame')])
  const frame = readFileSync(join(dir, 'frame.jpg'))
  writeFileSync(video, Buffer.concat(Array(30).fill(frame)))
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'badge.db')], base)
})

test.afterAll(async () => {
  await stop(server)
  rmSync(dir, { recursive: true, force: true })
})

test('a pupil shows the printed badge to the camera and lands on their account', async ({ page }) => {
  await page.goto('/signin')
  await page.getByRole('button', { name: 'Scan your badge' }).click()
  await expect(page).toHaveURL(/\/account$/, { timeout: 20_000 })
  await expect(page.getByText('bo.berg')).toBeVisible()
})

test('a voided badge is refused the same way as an unknown one', async ({ page }) => {
  // The admin voids Bo's badge (the user dialog's Revoke, through the API).
  const api = page.request
  expect((await api.post('/api/session', { data: admin })).ok()).toBe(true)
  const users = await (await api.get('/api/organizations/maple/users?q=bo.berg')).json()
  const bo = users.users[0].id
  expect((await api.delete(`/api/organizations/maple/users/${bo}/badge`)).ok()).toBe(true)

  // An unknown badge, typed by a scanner.
  await page.goto('/signin?badge')
  await page.getByLabel('Badge scanner').fill('RCB1:' + 'A'.repeat(32))
  await page.getByLabel('Badge scanner').press('Enter')
  const alert = page.getByRole('alert')
  await expect(alert).toBeVisible()
  const unknown = (await alert.textContent())?.trim()
  expect(unknown).toContain('does not work')

  // The voided badge, in front of the camera: the same answer, no sign-in.
  await page.goto('/signin?badge')
  await expect(page.getByRole('alert')).toHaveText(unknown!, { timeout: 20_000 })
  await expect(page).toHaveURL(/\/signin/)
  const status = await page.request.post('/api/public/badge-signin', { data: { code: 'RCB1:' + 'A'.repeat(32) } })
  expect(status.status()).toBe(401)
})
