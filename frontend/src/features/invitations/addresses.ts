// A rough count of the addresses in a paste, for the button label; the
// server parses for real (app.ParseAddresses).
export function countAddresses(text: string): number {
  const seen = new Set<string>()
  for (const m of text.matchAll(/[^\s<>,;"'()[\]]+@[^\s<>,;"'()[\]]+\.[^\s<>,;"'()[\]]+/g)) seen.add(m[0].toLowerCase())
  return seen.size
}
