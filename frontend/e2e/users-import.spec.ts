import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test, type Page } from '@playwright/test'

// Import a class list from Excel: mixed good and bad rows, the problems in
// plain words, one fixed in place, the missing group created, commit with
// progress, and the results file checked. Runs after rollcall.spec.ts on the
// same server (the admin may already exist) or alone.

const admin = { username: 'it.admin', password: 'correct horse 42' }
const fixture = fileURLToPath(new URL('./fixtures/class-3b.xlsx', import.meta.url))

async function signIn(page: Page) {
  await page.goto('/')
  const setup = page.getByRole('heading', { name: 'Create the first admin' })
  const signin = page.getByRole('heading', { name: 'Sign in', exact: true })
  await expect(setup.or(signin)).toBeVisible()
  if (await setup.isVisible()) {
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password', { exact: true }).fill(admin.password)
    await page.getByLabel('Password again').fill(admin.password)
    await page.getByRole('button', { name: 'Create admin and sign in' }).click()
  } else {
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password').fill(admin.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }
  await expect(page.getByText(`Signed in as ${admin.username}`)).toBeVisible()
}

/** parseCSV reads RFC 4180 CSV (quotes, doubled quotes, CRLF). */
function parseCSV(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += c
  }
  if (cell || row.length) rows.push([...row, cell])
  return rows
}

test('an admin imports a class from Excel, fixes a row and downloads the results', async ({ page }) => {
  const dialogs: string[] = []
  const pageErrors: string[] = []
  page.on('dialog', async (d) => {
    dialogs.push(d.message())
    await d.dismiss()
  })
  page.on('pageerror', (e) => pageErrors.push(e.message))
  let n = 0
  const shot = async (name: string) => {
    n++
    await page.screenshot({ path: `${test.info().project.testDir}/artifacts/import-${String(n).padStart(2, '0')}-${name}.png`, fullPage: true })
  }

  await signIn(page)
  // An organization with the class 3B, through the API with the page's session.
  const org = await page.request.post('/api/organizations', { data: { name: 'Oak Academy', slug: 'oak' } })
  expect(org.status()).toBe(201)
  expect((await page.request.post('/api/organizations/oak/groups', { data: { name: '3B' } })).status()).toBe(201)

  await test.step('open Add users → Import file', async () => {
    await page.goto('/#/o/oak/users')
    await page.reload() // the organization was made through the API after the page loaded
    // The sign-in's own redirect to the first organization may land after the goto: choose Oak as a person would.
    await page.getByLabel('Organization', { exact: true }).selectOption('oak')
    await expect(page).toHaveURL(/#\/o\/oak\/users/)
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add users' }).click()
    await expect(page).toHaveURL(/#\/o\/oak\/add$/)
    await expect(page.getByRole('heading', { name: 'Add users' })).toBeVisible()
    await page.getByRole('tab', { name: 'Import file' }).click()
    await expect(page).toHaveURL(/#\/o\/oak\/add\?tab=import$/)
    await expect(page.getByRole('tab', { name: 'Import file' })).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByRole('button', { name: 'Download Excel template' })).toBeVisible()
    const dl = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download CSV template' }).click()
    const template = await dl
    expect(template.suggestedFilename()).toBe('rollcall-import-template.csv')
    expect(readFileSync(await template.path(), 'utf8')).toContain('first_name,last_name,email,username,password,account_type,groups')
    await shot('import-start')
  })

  await test.step('upload the workbook and see the problems', async () => {
    await page.locator('input[type=file]').setInputFiles(fixture)
    await expect(page.getByRole('heading', { name: 'class-3b.xlsx' })).toBeVisible()
    const counts = page.getByLabel('Summary')
    await expect(counts).toContainText('2 ready as they are')
    await expect(counts).toContainText('1 with warnings')
    await expect(counts).toContainText('3 with errors')
    await expect(page.getByText('Columns left out — Rollcall does not know them, and does not keep them: Shoe size.')).toBeVisible()
    const row = (line: number) => page.locator('tbody tr', { has: page.getByRole('textbox', { name: `Row ${line} First name` }) })
    await expect(row(3)).toContainText('Will not be created')
    await expect(row(3)).toContainText('The first name is required.')
    await expect(row(4)).toContainText('"not-an-email" is not a valid email address')
    await expect(row(5)).toContainText('There is no group 7Z')
    await expect(row(6)).toContainText('No last name')
    await expect(row(2)).toContainText('ada.lovelace')
    // The injection attempt is shown as text.
    await expect(page.getByRole('textbox', { name: 'Row 7 First name' })).toHaveValue('<img src=x onerror=alert(1)>')
    await shot('preview-with-problems')
  })

  await test.step('fix a row in place and create the missing group', async () => {
    const cell = page.getByRole('textbox', { name: 'Row 3 First name' })
    await cell.fill('Nora')
    await cell.press('Enter')
    const counts = page.getByLabel('Summary')
    await expect(counts).toContainText('3 ready as they are')
    await expect(counts).toContainText('2 with errors')
    await expect(page.locator('tbody tr', { has: cell })).toContainText('nora.nofirst')
    await page.getByLabel(/Create the missing groups/).check()
    await expect(counts).toContainText('2 with warnings')
    await expect(counts).toContainText('1 with errors')
    await expect(page.getByText('The group 7Z will be created.')).toBeVisible()
    await shot('preview-fixed')
  })

  await test.step('commit with progress', async () => {
    await page.getByRole('button', { name: 'Create 5 accounts' }).click()
    await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible({ timeout: 30_000 })
    await expect(page.getByText('5 accounts created, 1 row skipped')).toBeVisible()
    await expect(page.getByText('Groups created: 7Z.')).toBeVisible()
    await shot('import-finished')
  })

  await test.step('download the results and check them', async () => {
    let dl = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download results (CSV)' }).click()
    const csvFile = await dl
    expect(csvFile.suggestedFilename()).toMatch(/^rollcall-import-results-.*\.csv$/)
    const text = readFileSync(await csvFile.path(), 'utf8')
    expect(text.charCodeAt(0)).toBe(0xfeff)
    const rows = parseCSV(text.slice(1))
    expect(rows[0].slice(0, 6)).toEqual(['row', 'status', 'reason', 'username', 'login_email', 'password'])
    const byRow = new Map(rows.slice(1).map((r) => [r[0], r]))
    expect(byRow.size).toBe(6)
    expect(byRow.get('2')?.slice(1, 5)).toEqual(['created', '', 'ada.lovelace', 'ada@oak.example'])
    expect(byRow.get('3')?.[3]).toBe('nora.nofirst')
    expect(byRow.get('3')?.[6]).toBe('') // the cells as uploaded: the first name was empty in the file (fixed to Nora in the preview)
    expect(byRow.get('4')?.[1]).toBe('skipped')
    expect(byRow.get('4')?.[2]).toContain('not a valid email address')
    expect(byRow.get('4')?.[5]).toBe('')
    for (const line of ['2', '3', '5', '6', '7']) {
      expect(byRow.get(line)?.[1], `row ${line}`).toBe('created')
      expect(byRow.get(line)?.[5].length, `password of row ${line}`).toBeGreaterThanOrEqual(10)
    }
    dl = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download results (Excel)' }).click()
    const xlsx = await dl
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/)
    const bytes = readFileSync(await xlsx.path())
    expect(bytes.subarray(0, 2).toString()).toBe('PK')
  })

  await test.step('the new people are in the users list', async () => {
    await page.getByRole('button', { name: 'Done' }).click()
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users', exact: true }).click()
    await expect(page.getByText('nora.nofirst')).toBeVisible()
    await expect(page.getByText('<img src=x onerror=alert(1)>', { exact: false }).first()).toBeVisible()
    await shot('users-after-import')
  })

  expect(dialogs).toEqual([])
  expect(pageErrors).toEqual([])
})
