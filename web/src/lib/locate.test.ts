import { describe, expect, it } from 'vitest'
import { locateMe, locateProblem } from './locate'

function fakeGeo(result: { ok?: [number, number, number]; code?: number }): Geolocation {
  return {
    getCurrentPosition: (ok: PositionCallback, fail?: PositionErrorCallback | null) => {
      if (result.ok) {
        const [lat, lon, accuracy] = result.ok
        ok({ coords: { latitude: lat, longitude: lon, accuracy } } as GeolocationPosition)
      } else fail?.({ code: result.code ?? 2, message: '' } as GeolocationPositionError)
    },
  } as unknown as Geolocation
}

describe('locate me', () => {
  it('rounds the reading to 6 decimals and the accuracy to metres', async () => {
    await expect(locateMe(fakeGeo({ ok: [30.123456789, 104.987654321, 12.6] }))).resolves.toEqual({ lat: 30.123457, lon: 104.987654, accuracy: 13 })
  })
  it('says why a reading failed', async () => {
    await expect(locateMe(fakeGeo({ code: 1 }))).rejects.toThrow('m.locDenied')
    await expect(locateMe(fakeGeo({ code: 2 }))).rejects.toThrow('m.locUnavailable')
    await expect(locateMe(fakeGeo({ code: 3 }))).rejects.toThrow('m.locTimeout')
    await expect(locateMe(undefined)).rejects.toThrow('m.locUnsupported')
    expect(locateProblem('unsupported')).toBe('m.locUnsupported')
  })
})

describe('ring centre', () => {
  it('averages the outer ring of a polygon or the first polygon of a multipolygon', async () => {
    const { ringCentre } = await import('./locate')
    const square = [[104, 30], [104.2, 30], [104.2, 30.2], [104, 30.2]]
    expect(ringCentre({ type: 'Polygon', coordinates: [square] })).toEqual({ lon: 104.1, lat: 30.1 })
    expect(ringCentre({ type: 'MultiPolygon', coordinates: [[square]] })?.lon).toBeCloseTo(104.1)
    expect(ringCentre({ type: 'Point', coordinates: [1, 2] })).toBeNull()
    expect(ringCentre(null)).toBeNull()
  })
})
