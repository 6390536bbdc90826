// Short success messages, shown in an aria-live status region.
import { lang, t } from './i18n.svelte'

export interface Toast {
  id: number
  text: string
}

export const toasts = $state<Toast[]>([])

let next = 1

/** notify shows text for a few seconds. */
export function notify(text: string, ms = 4500): void {
  const id = next++
  toasts.push({ id, text })
  while (toasts.length > 3) toasts.shift()
  setTimeout(() => dismiss(id), ms)
}

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id)
  if (i >= 0) toasts.splice(i, 1)
}

/** copyText puts text on the clipboard and says so; where the browser does not allow it, it says how to copy by hand. what names the text, in the UI's language ("Address"). */
export async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
    notify(t('toast.copied', { what }))
  } catch {
    // Inside a sentence the name is written small, but German nouns keep their capital.
    notify(t('toast.copyRefused', { what: lang() === 'de' ? what : what.toLowerCase() }))
  }
}
