import { describe, expect, it } from 'vitest'
import { fmtTime } from './format'

describe('fmtTime', () => {
  it('shows the city wall clock (UTC+8) whatever the browser zone', () => {
    expect(fmtTime('2026-12-01T16:30:00Z')).toBe('2026-12-02 00:30')
    expect(fmtTime('2026-12-31T23:59:59+08:00')).toBe('2026-12-31 23:59')
    // Summer: China keeps no daylight saving, still eight hours ahead of UTC.
    expect(fmtTime('2026-07-01T00:05:00+00:00')).toBe('2026-07-01 08:05')
  })

  it('agrees with the Intl formatter for the city zone', () => {
    const f = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2028, 0, 1); t += 7 * 3600 * 1000 + 13 * 60 * 1000) {
      const iso = new Date(t).toISOString()
      expect(fmtTime(iso)).toBe(f.format(new Date(t)))
    }
  })

  it('leaves what is not a time as it is', () => {
    expect(fmtTime('')).toBe('')
    expect(fmtTime(null)).toBe('')
    expect(fmtTime('not a time')).toBe('not a time')
  })
})
