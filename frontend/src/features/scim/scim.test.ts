import { describe, expect, it } from 'vitest'
import { scimURL } from './api'

describe('scimURL', () => {
  it('uses the public address when the organization has one', () => {
    expect(scimURL('https://rollcall.maple.example/', 'http://localhost:8080', 'maple')).toBe('https://rollcall.maple.example/scim/v2/maple')
  })
  it('falls back to the address the page was opened at', () => {
    expect(scimURL('', 'http://localhost:8080', 'maple')).toBe('http://localhost:8080/scim/v2/maple')
    expect(scimURL(undefined, 'https://rc.school.example', 'oak')).toBe('https://rc.school.example/scim/v2/oak')
  })
})
