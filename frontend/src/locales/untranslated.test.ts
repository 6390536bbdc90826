// No page shows English that is not in the catalogues: every .svelte file's
// template is parsed with the Svelte compiler and each piece of text a person
// reads is checked. Text written in the markup, the words a template
// expression can only ever show ({busy ? 'Saving…' : 'Save'}), and the static
// words of the attributes and props that are read or heard (aria-label,
// title, placeholder, alt, label, a dialog's message…) must come from t().
// In the scripts (and in src/lib's and the features' .ts files), the strings
// given to notify() and copyText() are checked the same way, and any string
// constant that reads as an English sentence is one too.
//
// A violation is reported as "file:line text". What may stay as written is
// in `allowed` below: names of products and protocols, and example values.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parse } from 'svelte/compiler'

const src = join(__dirname, '..')

// Text that is the same in every language: names of products, protocols and
// formats, and example values in placeholders. Keep it short; a sentence
// never belongs here.
const allowed = new Set([
  'Rollcall', // the product
  'SMTP',
  'SCIM',
  'CSV',
  'PDF',
  'QR',
  'SMS',
  'OneRoster',
  'Kannel',
  'OpenID Connect',
  'OIDC',
  'URL',
  'ID',
  'TLS',
  'STARTTLS',
  'Entra ID',
  'Google Workspace',
  'English',
  'Suomi',
  'Svenska',
  'Deutsch',
  'Lin Chen', // example values in placeholders (addresses are left out below)
  'K7QM-3XRD',
  '/join',
  'https://',
  'A4', // a paper size, named so everywhere
  'FI', // an example country code
  'Account SID', // Twilio's own name for the field
])

// Attributes and component props whose static words are shown or read aloud.
const readAttributes = new Set([
  'aria-label',
  'aria-description',
  'title',
  'placeholder',
  'alt',
  'label',
  'message',
  'detail',
  'hint',
  'intro',
  'confirmLabel',
  'cancelLabel',
  'retryLabel',
])

function sources(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return sources(p, ext)
    return ext.test(name) && !/\.test\.ts$/.test(name) ? [p] : []
  })
}

const letter = /\p{L}/u

function isViolation(text: string): boolean {
  // Example addresses (name@school.org, <lin@maple.example>), host names,
  // URLs and file paths (smtp.school.example, https://…, /etc/ssl/ca.pem)
  // are no words.
  const s = text
    .replace(/<?[^\s<>,]+@[^\s<>,]+>?/g, ' ')
    .replace(/(^|\s)(\w+:\/\/\S+|\/\S+|[\w-]+(\.[\w-]+)+(:\d+)?\S*)(?=\s|$)/g, ' ')
    .replace(/[\s,]+/g, ' ')
    .trim()
  if (!letter.test(s)) return false
  if (allowed.has(s)) return false
  return true
}

// renderedStrings are the string constants an expression can evaluate to
// when it is shown: 'Saving…' and 'Save' in busy ? 'Saving…' : 'Save', but
// not the key in t('x.y') nor a value compared with (m.kind === 'sms').
type Expr = { type: string; [k: string]: unknown }
function renderedStrings(e: Expr | null | undefined): string[] {
  if (!e) return []
  switch (e.type) {
    case 'Literal':
      return typeof e.value === 'string' ? [e.value] : []
    case 'TemplateLiteral':
      return [
        ...(e.quasis as { value: { cooked: string } }[]).map((q) => q.value.cooked),
        ...(e.expressions as Expr[]).flatMap(renderedStrings),
      ]
    case 'ConditionalExpression':
      return [...renderedStrings(e.consequent as Expr), ...renderedStrings(e.alternate as Expr)]
    case 'LogicalExpression':
      return [...renderedStrings(e.left as Expr), ...renderedStrings(e.right as Expr)]
    case 'BinaryExpression':
      return e.operator === '+' ? [...renderedStrings(e.left as Expr), ...renderedStrings(e.right as Expr)] : []
    default:
      return []
  }
}

type Node = { type: string; start: number; name?: string; data?: string; value?: unknown; expression?: Expr; [k: string]: unknown }

function templateViolations(file: string, text: string): string[] {
  const ast = parse(text, { modern: true }) as unknown as { fragment: Node }
  const line = (pos: number) => text.slice(0, pos).split('\n').length
  const out: string[] = []
  const report = (pos: number, s: string) => out.push(`${file}:${line(pos)} ${s.replace(/\s+/g, ' ').trim()}`)

  const attribute = (a: Node) => {
    if (!a.name || !readAttributes.has(a.name)) return
    const parts = (Array.isArray(a.value) ? a.value : a.value === true ? [] : [a.value]) as Node[]
    for (const p of parts) {
      if (p.type === 'Text' && isViolation(p.data ?? '')) report(p.start, p.data ?? '')
      if (p.type === 'ExpressionTag') for (const s of renderedStrings(p.expression)) if (isViolation(s)) report(p.start, s)
    }
  }

  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return
    if (Array.isArray(n)) return n.forEach(walk)
    const node = n as Node
    switch (node.type) {
      case 'Text':
        if (isViolation(node.data ?? '')) report(node.start, node.data ?? '')
        return
      case 'ExpressionTag':
        for (const s of renderedStrings(node.expression)) if (isViolation(s)) report(node.start, s)
        return
      case 'Attribute':
        return attribute(node)
      case 'StyleSheet':
      case 'Script':
        return
      case 'RegularElement':
        // Commands, paths and keys (<code>rollcall serve</code>, <kbd>Esc</kbd>) are as typed.
        if (['code', 'kbd', 'pre', 'samp'].includes(node.name ?? '')) return walk(node.attributes)
    }
    // Elements, components and blocks: their attributes and every fragment.
    for (const [k, v] of Object.entries(node)) {
      if (k === 'expression' || k === 'metadata' || k === 'parent') continue
      if (v && typeof v === 'object') walk(v)
    }
  }
  walk(ast.fragment)
  return out
}

// The strings given to notify() and copyText() (its second argument, what is
// copied): every string constant in the call except a t() key.
const toastCall = /\b(notify|copyText)\(/g
function scriptViolations(file: string, text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(toastCall)) {
    // The call's arguments: up to the matching parenthesis.
    let depth = 1
    let i = m.index + m[0].length
    const start = i
    while (i < text.length && depth > 0) {
      if (text[i] === '(') depth++
      else if (text[i] === ')') depth--
      i++
    }
    let args = text.slice(start, i - 1)
    if (m[1] === 'copyText') args = args.slice(args.indexOf(',') + 1) // what is copied is data
    const strings = [...args.matchAll(/(\bt\(\s*|[!=]==?\s*)?(['"`])((?:\\.|(?!\2)[^\\])*)\2/g)]
    for (const s of strings) {
      if (s[1]) continue // a t() key, or a value compared with
      const words = s[3].replace(/\$\{[^}]*\}/g, ' ')
      if (isViolation(words)) out.push(`${file}:${text.slice(0, m.index).split('\n').length} ${s[3]}`)
    }
  }
  return out
}

// sentenceViolations: any string constant in the code that reads as an
// English sentence (a capital, three words or more, a full stop or a
// question), wherever it goes: an error made in the browser, a status, a
// lookup table. Comments are left out; so are strings after "// words:"
// on the same line (for the rare sentence that is data, not UI).
const sentence = /^[A-Z][a-z’']*(?: [\w’'(),:;/.…"-]+){2,}[.?!…]$/
function sentenceViolations(file: string, text: string): string[] {
  const out: string[] = []
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  for (const m of code.matchAll(/(['"`])((?:\\.|(?!\1)[^\\\n])*)\1/g)) {
    const words = m[2].replace(/\$\{[^}]*\}/g, 'x')
    if (sentence.test(words)) out.push(`${file}:${code.slice(0, m.index).split('\n').length} ${m[2]}`)
  }
  return out
}

function scripts(svelte: string): string {
  // The <script> blocks of a page, other lines blanked so line numbers hold.
  return svelte.replace(/<script[^>]*>([\s\S]*?)<\/script>|[^\n]/g, (all, body) => (body === undefined ? (all === '\n' ? '\n' : ' ') : ' '.repeat(8) + body + ' '.repeat(9)))
}

function violations(path: string): string[] {
  const file = relative(src, path)
  const text = readFileSync(path, 'utf8')
  if (path.endsWith('.svelte')) return [...templateViolations(file, text), ...scriptViolations(file, text), ...sentenceViolations(file, scripts(text))]
  return [...scriptViolations(file, text), ...sentenceViolations(file, text)]
}

describe('untranslated text', () => {
  const files = [...sources(src, /\.svelte$/), ...sources(join(src, 'lib'), /\.ts$/), ...sources(join(src, 'features'), /\.ts$/)]

  it('finds the pages', () => {
    expect(files.length).toBeGreaterThan(50)
  })

  it('checks what it should', () => {
    const page = `<script>
  notify('Saved.')
  notify(t('x.saved'))
</script>
<h1>Users</h1>
<p>{t('x.y')} {busy ? 'Saving…' : t('x.save')}</p>
<input placeholder="name@school.org" aria-label="Search" title={t('x.t')} class="big" />
<span>SCIM</span> <span>—</span> <code>rollcall serve</code>`
    expect([...templateViolations('page.svelte', page), ...scriptViolations('page.svelte', page)]).toEqual(['page.svelte:5 Users', 'page.svelte:6 Saving…', 'page.svelte:7 Search', 'page.svelte:2 Saved.'])
    const lib = `// A comment that is a sentence in English.
const kinds = { a: 'The code was not found.', b: t('x.y') }
throw new ApiError(0, 'network', 'Rollcall could not be reached, try again.')
const status = $state('Not saved yet.')`
    expect(sentenceViolations('lib.ts', lib)).toEqual(['lib.ts:2 The code was not found.', 'lib.ts:3 Rollcall could not be reached, try again.', 'lib.ts:4 Not saved yet.'])
  })

  for (const path of files) {
    const file = relative(src, path)
    it(`${file} is translated`, () => {
      expect(violations(path)).toEqual([])
    })
  }
})

