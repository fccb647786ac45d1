// 定位到我: one reading of the device's position (navigator.geolocation), never a watch.
export interface Located { lat: number; lon: number; accuracy: number }

/** The message key (i18n `m.*`) for a failed reading: denied, unavailable, timeout, unsupported. */
export function locateProblem(code: number | 'unsupported'): string {
  if (code === 'unsupported') return 'm.locUnsupported'
  if (code === 1) return 'm.locDenied'
  if (code === 3) return 'm.locTimeout'
  return 'm.locUnavailable'
}

/** Resolves with the position rounded to 6 decimals (about 0.1 m), or rejects with the message
 *  key of what went wrong. */
export function locateMe(geo: Geolocation | undefined = globalThis.navigator?.geolocation, timeout = 10000): Promise<Located> {
  return new Promise((resolve, reject) => {
    if (!geo || (typeof window !== 'undefined' && window.isSecureContext === false)) {
      reject(new Error(locateProblem('unsupported')))
      return
    }
    geo.getCurrentPosition(
      (p) => resolve({ lat: +p.coords.latitude.toFixed(6), lon: +p.coords.longitude.toFixed(6), accuracy: Math.round(p.coords.accuracy) }),
      (e) => reject(new Error(locateProblem(e.code))),
      { enableHighAccuracy: true, timeout, maximumAge: 30000 },
    )
  })
}

/** The average of a region's outer ring (a point to open the map on), from its GeoJSON feature. */
export function ringCentre(geometry: { type: string; coordinates: any } | null | undefined): { lat: number; lon: number } | null {
  const ring: number[][] | undefined =
    geometry?.type === 'Polygon' ? geometry.coordinates[0] : geometry?.type === 'MultiPolygon' ? geometry.coordinates[0][0] : undefined
  if (!ring?.length) return null
  return { lon: ring.reduce((s, p) => s + p[0], 0) / ring.length, lat: ring.reduce((s, p) => s + p[1], 0) / ring.length }
}
