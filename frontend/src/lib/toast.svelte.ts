// Short success messages, shown in an aria-live status region.

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
