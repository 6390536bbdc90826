// Every message the UI asks for exists in every catalogue, and every
// catalogue has exactly the English one's keys: a translator's missing or
// misspelt key fails here, not on a page. Each message also parses as ICU
// MessageFormat and uses the same placeholders as the English one.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { IntlMessageFormat } from 'intl-messageformat'
import { catalogues, languages } from '../lib/i18n.svelte'

const src = join(__dirname, '..')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return sources(p)
    return /\.(svelte|ts)$/.test(name) && !/\.test\.ts$/.test(name) ? [p] : []
  })
}

// t('key') and t("key"). Keys kept in data and passed to t() later (the
// account page's section titles) are checked by the same-keys test only.
const call = /\bt\(\s*['"]([a-zA-Z][\w]*(?:\.[\w]+)+)['"]/g

function usedKeys(): Map<string, string> {
  const used = new Map<string, string>()
  for (const f of sources(src)) {
    const text = readFileSync(f, 'utf8')
    for (const m of text.matchAll(call)) used.set(m[1], f.slice(src.length + 1))
  }
  return used
}

// placeholders are the argument names of a message, from its ICU syntax tree
// (plural and select branches included).
type Node = { type: number; value?: unknown; options?: Record<string, { value: Node[] }>; children?: Node[] }
function placeholders(msg: string): string[] {
  const names = new Set<string>()
  const walk = (nodes: Node[]) => {
    for (const n of nodes) {
      if (n.type >= 1 && n.type <= 6 && typeof n.value === 'string') names.add(n.value)
      for (const o of Object.values(n.options ?? {})) walk(o.value)
      if (n.children) walk(n.children)
    }
  }
  walk(new IntlMessageFormat(msg, 'en').getAst() as Node[])
  return [...names].sort()
}

describe('message catalogues', () => {
  const used = usedKeys()

  it('finds the messages the UI uses', () => {
    expect(used.size).toBeGreaterThan(100)
  })

  for (const l of languages) {
    it(`${l} has every message the UI uses`, () => {
      const missing = [...used].filter(([k]) => catalogues[l][k] === undefined).map(([k, f]) => `${k} (${f})`)
      expect(missing).toEqual([])
    })

    it(`${l} has the same keys as en`, () => {
      expect(Object.keys(catalogues[l]).sort()).toEqual(Object.keys(catalogues.en).sort())
    })

    it(`${l}'s messages parse and use the English placeholders`, () => {
      for (const [k, msg] of Object.entries(catalogues[l])) {
        expect(() => new IntlMessageFormat(msg, l), `${l} ${k}`).not.toThrow()
        expect(placeholders(msg), `${l} ${k}`).toEqual(placeholders(catalogues.en[k] ?? ''))
      }
    })
  }
})
