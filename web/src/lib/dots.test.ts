import { describe, expect, it } from 'vitest'
import { hitDot } from './dots'

describe('hitDot', () => {
  // three dots at (10,10) r5, (14,10) r5, (100,100) r8
  const xy = [10, 10, 14, 10, 100, 100]
  const radii = [5, 5, 8]

  it('picks the nearest dot whose disc holds the point', () => {
    expect(hitDot(xy, radii, 11, 10)).toBe(0)
    expect(hitDot(xy, radii, 13, 11)).toBe(1)
    expect(hitDot(xy, radii, 106, 100)).toBe(2)
  })

  it('counts the slack around the disc and nothing beyond it', () => {
    expect(hitDot(xy, radii, 100, 109, 2)).toBe(2) // 9 px: inside 8 + 2
    expect(hitDot(xy, radii, 100, 111, 2)).toBe(-1) // 11 px: outside
    expect(hitDot(xy, radii, 100, 109, 0)).toBe(-1)
  })

  it('finds nothing among no dots', () => {
    expect(hitDot([], [], 0, 0)).toBe(-1)
  })
})
