import { describe, expect, it } from 'vitest'
import { gcj02ToWgs84, outOfChina, wgs84ToGcj02 } from './coords'

// metres between two nearby [lat, lon] points (equirectangular; fine at these distances)
function metres(a: [number, number], b: [number, number]): number {
  const k = 111_195
  const dy = (a[0] - b[0]) * k
  const dx = (a[1] - b[1]) * k * Math.cos((a[0] * Math.PI) / 180)
  return Math.hypot(dx, dy)
}

describe('WGS84 ↔ GCJ-02', () => {
  it('shifts a point in China by the published offset (天安门: a few hundred metres)', () => {
    // 天安门 WGS84 39.90734, 116.39089 → GCJ-02 ≈ 39.90874, 116.39713 (the widely used reference)
    const g = wgs84ToGcj02(39.90734, 116.39089)
    expect(g[0]).toBeCloseTo(39.90874, 3)
    expect(g[1]).toBeCloseTo(116.39713, 3)
    const shift = metres(g, [39.90734, 116.39089])
    expect(shift).toBeGreaterThan(300)
    expect(shift).toBeLessThan(800)
  })

  it('goes back to within a centimetre', () => {
    for (const p of [[30.65, 104.1], [22.54, 114.06], [45.75, 126.63]] as [number, number][]) {
      const back = gcj02ToWgs84(...wgs84ToGcj02(...p))
      expect(metres(back, p)).toBeLessThan(0.01)
    }
  })

  it('leaves points outside China alone', () => {
    expect(outOfChina(51.5, -0.12)).toBe(true)
    expect(wgs84ToGcj02(51.5, -0.12)).toEqual([51.5, -0.12])
    expect(gcj02ToWgs84(51.5, -0.12)).toEqual([51.5, -0.12])
  })
})
