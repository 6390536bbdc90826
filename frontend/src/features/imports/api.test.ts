import { describe, expect, it } from 'vitest'
import { uploadPath } from './api'

describe('imports api', () => {
  it('builds upload paths', () => {
    expect(uploadPath('maple', 'Klasse 3B.xlsx', false)).toBe('/api/organizations/maple/imports?name=Klasse+3B.xlsx')
    expect(uploadPath('maple', 'x', true)).toBe('/api/organizations/maple/imports?format=paste')
  })
})
