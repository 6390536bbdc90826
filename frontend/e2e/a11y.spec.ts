import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Every page, admin and public, through axe-core (WCAG 2.1 A and AA): no
// serious or critical violation. The data is seeded through the API so that
// each page shows its real content (lists with rows, a pending sign-up, a
// link, a finished job), not only its empty state. Each page is also
// photographed at 1280×800 and 1024×768 (public pages at 360×740) into
// e2e/artifacts/a11y-*.png. Its own `rollcall serve` runs on port 18552,
// sign-up on this network on 18553.

const bin = process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = 18552
const lanPort = 18553
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'apple tree 2026' }
const pupil = { username: 'emma.smith', password: 'Pupil-pass-2026' }

let dir = ''
let server: ChildProcess | null = null

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-a11y-'))
  const db = join(dir, 'a11y.db')
  const run = (args: string[], input = '') => execFileSync(bin, [...args, '--db', db], { encoding: 'utf8', input })
  run(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  run(['org', 'set', '--org', 'maple', '--public-url', 'https://rollcall.maple.example'])
  run(['admin', 'create', '--username', admin.username], admin.password + '\n')
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--public-addr', `127.0.0.1:${lanPort}`, '--db', db], base)
})

test.afterAll(async () => {
  await stop(server)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** violations are axe's serious and critical findings on the page as it is, one line each. */
async function violations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  return bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join('\n    ')}`)
}

/** check fails (softly: every page is checked) on serious or critical violations. */
async function check(page: Page, name: string) {
  await page.waitForLoadState('networkidle')
  expect.soft(await violations(page), `${name}: axe violations`).toEqual([])
}

async function shots(page: Page, name: string, sizes: [number, number][]) {
  for (const [w, h] of sizes) {
    await page.setViewportSize({ width: w, height: h })
    await page.screenshot({ path: `${test.info().project.testDir}/artifacts/a11y-${name}-${w}x${h}.png`, fullPage: true })
  }
  await page.setViewportSize({ width: sizes[0][0], height: sizes[0][1] })
}

const adminSizes: [number, number][] = [
  [1280, 800],
  [1024, 768],
]
const phoneSizes: [number, number][] = [[360, 740]]

test('every page passes axe (no serious or critical violations)', async ({ page, browser }) => {
  test.setTimeout(240_000)
  // The checker finds what it must: an image without a text, a field without a label.
  await page.goto(base + '/healthz')
  await page.setContent('<html lang="en"><head><title>x</title></head><body><main><img src="/x.png"><input type="text"></main></body></html>')
  expect((await violations(page)).join(' ')).toMatch(/image-alt[\s\S]*label|label[\s\S]*image-alt/)

  // Signed out: the admin sign-in.
  await page.goto(base + '/')
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible()
  await check(page, 'admin sign-in')
  await page.getByLabel('Username').fill(admin.username)
  await page.getByLabel('Password').fill(admin.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()

  // Seed through the API, as the signed-in admin.
  const api = page.request
  const post = async (path: string, data: unknown) => {
    const r = await api.post(base + path, { data })
    expect(r.ok(), `${path}: ${r.status()} ${await r.text()}`).toBe(true)
    return r.json()
  }
  await api.patch(base + '/api/organizations/maple', { data: { signup: { enabled: true } } })
  const g3b = await post('/api/organizations/maple/groups', { name: '3B' })
  await post('/api/organizations/maple/groups', { name: 'Staff', kind: 'department' })
  await post('/api/organizations/maple/users', { first_name: 'Emma', last_name: 'Smith', username: pupil.username, password: pupil.password, groups: [g3b.id] })
  await post('/api/organizations/maple/users', { first_name: 'Åsa', last_name: 'Zoe', username: 'asa.zoe', groups: [g3b.id] })
  const link = await post('/api/organizations/maple/invite-links', { name: 'Parents evening', groups: [g3b.id] })
  const codes = await (await api.get(base + '/api/organizations/maple/invite-codes')).json()
  const code = (codes.codes as { name: string; code: string; group_id: string }[]).find((c) => c.name === '3B')!
  await api.patch(`${base}/api/organizations/maple/groups/${g3b.id}/invite-code`, { data: { require_approval: true } })
  const signup = await api.post(`http://127.0.0.1:${lanPort}/api/public/codes/${code.code}/signup`, {
    data: { first_name: 'Omar', last_name: 'Benali', username: 'omar.b', password: 'tablet-pass-42' },
  })
  expect(signup.status()).toBe(201)
  const job = await post('/api/organizations/maple/accounts', { people: [{ first_name: 'Liam', last_name: 'Jones' }], groups: [g3b.id] })
  await expect.poll(async () => (await (await api.get(`${base}/api/jobs/${job.id}`)).json()).state).toBe('done')

  const adminPages = [
    ['users', '#/o/maple/users'],
    ['groups', '#/o/maple/groups'],
    ['group', `#/o/maple/groups/${g3b.id}`],
    ['settings', '#/o/maple/settings'],
    ['add-invite', '#/o/maple/add?tab=invite'],
    ['add-manual', '#/o/maple/add?tab=manual'],
    ['add-import', '#/o/maple/add?tab=import'],
    ['invitations', '#/o/maple/invitations'],
    ['outbox', '#/o/maple/outbox'],
    ['links', '#/o/maple/links'],
    ['approvals', '#/o/maple/approvals'],
    ['audit', '#/o/maple/audit'],
    ['apps', '#/o/maple/apps'],
    ['display', `#/o/maple/display/${g3b.id}`],
    ['display-org', '#/o/maple/display/-'],
    ['notfound', '#/nowhere'],
  ]
  for (const [name, hash] of adminPages) {
    await page.goto(`${base}/?page=${name}${hash}`) // a fresh load: lists and badges as they are now
    await expect(page.locator('#main, [data-testid=classroom-display]').first()).toBeVisible()
    await page.waitForTimeout(300)
    await check(page, name)
    await shots(page, name, adminSizes)
  }

  // Dialogs: a user, a group's code, a new link, the recent results.
  await page.goto(base + '/?dialogs#/o/maple/users')
  await page.getByRole('button', { name: /Emma Smith/ }).first().click()
  await expect(page.getByRole('dialog')).toBeVisible()
  await check(page, 'user dialog')
  await shots(page, 'user-dialog', adminSizes)
  await page.keyboard.press('Escape')
  await page.goto(base + '/?dialogs#/o/maple/groups')
  await page.getByRole('button', { name: /^Invite code of 3B/ }).click()
  await expect(page.getByRole('dialog')).toBeVisible()
  await check(page, 'code dialog')
  await shots(page, 'code-dialog', adminSizes)
  await page.keyboard.press('Escape')
  await page.getByTestId('recent-badge').click()
  await page.getByRole('dialog', { name: 'Recent results' }).getByRole('button', { name: 'Open downloads' }).first().click()
  await expect(page.getByRole('dialog', { name: 'New accounts' })).toBeVisible()
  await check(page, 'recent results')
  await shots(page, 'recent-results', adminSizes)

  // Public pages, on a phone.
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 } })
  const p = await phone.newPage()
  const publicPages: [string, string][] = [
    ['portal-signin', '/signin'],
    ['portal-signin-org', '/signin?org=maple'],
    ['join', '/join'],
    ['join-code', `/join/${code.code}`],
    ['link', `/link/${link.token}`],
    ['invite-bad', '/invite/not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaa'],
    ['verify-bad', '/verify/not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaa'],
    ['reset-bad', '/reset/not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaa'],
  ]
  for (const [name, path] of publicPages) {
    await p.goto(base + path)
    await p.waitForTimeout(300)
    await check(p, name)
    await shots(p, name, phoneSizes)
  }
  await p.goto(base + '/signin')
  await p.getByLabel('Username or email').fill(pupil.username)
  await p.getByLabel('Password').fill(pupil.password)
  await p.getByRole('button', { name: 'Sign in' }).click()
  await expect(p).toHaveURL(/\/account$/)
  await check(p, 'account')
  await shots(p, 'account', phoneSizes)
  await phone.close()
})
