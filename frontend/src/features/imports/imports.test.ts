import { describe, expect, it } from 'vitest'
import { editKey, shownFields, toEdits, type ImportPreview } from './imports'

const fields = ['first_name', 'last_name', 'email', 'username', 'password', 'account_type', 'groups', 'language', 'phone', 'labels', 'deletion_date', 'job_title', 'change_password', 'status']

function previewWith(columns: string[]): ImportPreview {
  return {
    file: { name: 'x.csv', sha256: '', format: 'csv', columns, unknown_columns: [], rows: 0 },
    fields,
    rows: [],
    create: 0,
    warnings: 0,
    errors: 0,
    skipped: 0,
    missing_groups: [],
    previous_imports: [],
    account_types: [],
    password_bits: 0,
    password_rules: '',
  }
}

describe('imports', () => {
  it('shows the columns the file has, in template order, never passwords', () => {
    expect(shownFields(previewWith(['groups', 'email', 'first_name', 'password']))).toEqual(['first_name', 'last_name', 'email', 'groups'])
    expect(shownFields(previewWith(['full_name', 'phone']))).toEqual(['first_name', 'last_name', 'phone'])
  })

  it('shows the status column when a row is left out', () => {
    const p = previewWith(['first_name'])
    p.rows = [{ line: 2, values: fields.map(() => ''), status: 'skip', username: '', username_generated: false, login_email: '', password_generated: false }]
    expect(shownFields(p)).toEqual(['first_name', 'last_name', 'status'])
  })

  it('turns edited cells into the API list', () => {
    const cells = new Map([
      [editKey(12, 'email'), 'a@b.example'],
      [editKey(3, 'first_name'), 'Nora'],
      [editKey(3, 'deletion_date'), ''],
    ])
    expect(toEdits(cells)).toEqual([
      { line: 3, field: 'deletion_date', value: '' },
      { line: 3, field: 'first_name', value: 'Nora' },
      { line: 12, field: 'email', value: 'a@b.example' },
    ])
  })
})
