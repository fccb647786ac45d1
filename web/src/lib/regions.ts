// Region layers (GeoJSON per level), fetched once per page load and shared by every map and
// picker on the page.
import { api } from '@/api'

const cache = new Map<string, Promise<any>>()

export function regionLayer(level: string): Promise<any> {
  if (!cache.has(level)) {
    const p = api(`/regions`, { query: { level }, auth: false })
    p.catch(() => cache.delete(level))
    cache.set(level, p)
  }
  return cache.get(level)!
}

/** Forget the fetched layers (after a regions import). */
export function clearRegionLayers(): void {
  cache.clear()
}
