import { expect, test, type Page } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { startServe } from './serve'
import { stop } from './stop'

// Users → Export, as IT staff hand a class to a learning platform: the
// group 5C exported as a OneRoster 1.1 bundle and saved through the
// download helper; the zip holds the files the specification names, and
// the class's pupils in users.csv and enrollments.csv. Then the accounts of
// a new batch in Entra's format, with the passwords the slips show.
// This story runs its own `rollcall serve` on a database prepared with the
// CLI, on port 18430 ($EXPORT_E2E_PORT).

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const port = Number(env.EXPORT_E2E_PORT ?? 18430)
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.export', password: 'maple leaf 2026' }
const pupils = ['Aino Korhonen', 'Jürgen Müller', 'Zoë Dupont', 'Liam Smith']

let dir = ''
let server: ReturnType<typeof spawn> | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'export.db')], { encoding: 'utf8', input })
}

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-export-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '5C'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '6A'])
  rollcall(['admin', 'create', '--username', admin.username], admin.password + '\n')
  writeFileSync(join(dir, '5c.txt'), pupils.join('\n'))
  rollcall(['users', 'create', '--org', 'maple', '--group', '5C', '--names', join(dir, '5c.txt'), '--slips', join(dir, '5c.pdf')])
  writeFileSync(join(dir, '6a.txt'), 'Olivia Brown\nNoah Johnson')
  rollcall(['users', 'create', '--org', 'maple', '--group', '6A', '--names', join(dir, '6a.txt'), '--slips', join(dir, '6a.pdf')])
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'export.db')], base)
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

/** unzip reads a zip's files (stored or deflated) from its central directory, in order. */
function unzip(data: Buffer): Map<string, string> {
  const files = new Map<string, string>()
  let end = data.length - 22
  while (end >= 0 && data.readUInt32LE(end) !== 0x06054b50) end--
  if (end < 0) throw new Error('not a zip: no end of central directory')
  const count = data.readUInt16LE(end + 10)
  let p = data.readUInt32LE(end + 16)
  for (let i = 0; i < count; i++) {
    if (data.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry')
    const method = data.readUInt16LE(p + 10)
    const size = data.readUInt32LE(p + 20)
    const nameLen = data.readUInt16LE(p + 28)
    const extra = data.readUInt16LE(p + 30)
    const comment = data.readUInt16LE(p + 32)
    const local = data.readUInt32LE(p + 42)
    const name = data.toString('utf8', p + 46, p + 46 + nameLen)
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28)
    const raw = data.subarray(start, start + size)
    files.set(name, (method === 8 ? inflateRawSync(raw) : raw).toString('utf8'))
    p += 46 + nameLen + extra + comment
  }
  return files
}

test('a group is exported as OneRoster through the download helper', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await signIn(page)

  await page.getByRole('button', { name: 'Export…' }).click()
  const dlg = page.getByRole('dialog', { name: 'Export people' })
  await dlg.getByLabel('One group').check()
  await dlg.getByLabel('Group', { exact: true }).selectOption({ label: '5C' })
  await dlg.getByLabel('Format').selectOption({ label: 'OneRoster 1.1 (.zip)' })
  await expect(dlg).toContainText('OneRoster 1.1 CSV bundle')
  await page.screenshot({ path: `${test.info().project.testDir}/artifacts/export-dialog.png` })
  const [download] = await Promise.all([page.waitForEvent('download'), dlg.getByRole('button', { name: 'Export', exact: true }).click()])
  expect(download.suggestedFilename()).toMatch(/^rollcall-maple-5c-\d{4}-\d{2}-\d{2}-oneroster\.zip$/)
  await expect(dlg).toBeHidden()
  await expect(page.getByText('Export downloaded.')).toBeVisible()

  const files = unzip(readFileSync(await download.path()))
  expect([...files.keys()]).toEqual(['manifest.csv', 'orgs.csv', 'academicSessions.csv', 'courses.csv', 'classes.csv', 'users.csv', 'enrollments.csv'])
  expect(files.get('manifest.csv')).toContain('oneroster.version,1.1')
  const users = files.get('users.csv')!.trim().split('\r\n')
  expect(users[0]).toBe(
    'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password',
  )
  expect(users).toHaveLength(pupils.length + 1)
  for (const name of pupils) expect(files.get('users.csv')).toContain(name.replace(' ', ','))
  expect(files.get('users.csv')).not.toContain('Olivia')
  expect(files.get('classes.csv')).toContain(',5C,')
  expect(files.get('enrollments.csv')!.trim().split('\r\n')).toHaveLength(pupils.length + 1)

  // The export is in the audit log.
  const audit = await (await page.request.get(`${base}/api/audit?org=maple&action=user.export`)).json()
  expect(JSON.stringify(audit)).toContain('oneroster: group 5C, 4 people')
  expect(errors).toEqual([])
})

test('the accounts of a new batch download in Entra’s format with their passwords', async ({ page }) => {
  await signIn(page)
  const created = await page.request.post(`${base}/api/organizations/maple/accounts`, { data: { text: 'Emma Virtanen\nLeo Anderson' } })
  expect(created.status()).toBe(202)
  const job = await created.json()
  for (let i = 0; i < 100; i++) {
    const st = await (await page.request.get(`${base}/api/jobs/${job.id}`)).json()
    if (st.state !== 'running') break
    await new Promise((r) => setTimeout(r, 100))
  }
  // The same file the result screen's "Download accounts" asks for.
  const res = await page.request.get(`${base}/api/jobs/${job.id}/credentials?format=entra`)
  expect(res.status()).toBe(200)
  const lines = (await res.text()).trim().split('\r\n')
  expect(lines[0].startsWith('version:v1.0')).toBe(true)
  expect(lines[1].startsWith('Name [displayName] Required,User name [userPrincipalName] Required,Initial password [passwordProfile] Required')).toBe(true)
  expect(lines).toHaveLength(4)
  expect(lines[2]).toMatch(/^Emma Virtanen,[^,]*,[^,]{6,},No,Emma,Virtanen/)
})
