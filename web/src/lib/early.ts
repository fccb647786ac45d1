// Requests a page needs first, started from main.ts while the page's chunk is still loading (the
// command-centre screen: its data arrives with its code instead of after it).
const early = new Map<string, Promise<unknown>>()

export function prefetch<T>(key: string, fn: () => Promise<T>): void {
  if (early.has(key)) return
  const p = fn()
  p.catch(() => early.delete(key))
  early.set(key, p)
}

/** The prefetched promise (once), else a fresh request. */
export function take<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const p = early.get(key) as Promise<T> | undefined
  if (p) {
    early.delete(key)
    return p
  }
  return fn()
}
