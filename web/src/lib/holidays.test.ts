import { describe, expect, it } from 'vitest'
import { byMonth, csvOf, entryProblem, isoWeekday, weekdayLabel, yearChoices, type HolidayDay } from './holidays'

const day = (d: string, kind: 'holiday' | 'workday', name: string): HolidayDay => ({ day: d, weekday: isoWeekday(d), kind, name, source: 'admin' })

describe('holiday calendar page', () => {
  it('knows the weekday of a date whatever the time zone', () => {
    expect(isoWeekday('2026-10-10')).toBe(6) // the National Day make-up Saturday
    expect(isoWeekday('2027-01-03')).toBe(7)
    expect(weekdayLabel(6)).toBe('周六')
    expect(weekdayLabel(1, true)).toBe('Mon')
  })
  it('refuses what the server refuses: a make-up day on a weekday, no name, no date', () => {
    expect(entryProblem('2026-10-12', 'workday', '补班')?.[0]).toContain('周六或周日')
    expect(entryProblem('2026-10-10', 'workday', '国庆节调休')).toBeNull()
    expect(entryProblem('2026-10-12', 'holiday', '本市放假')).toBeNull()
    expect(entryProblem('2026-10-12', 'holiday', ' ')).not.toBeNull()
    expect(entryProblem('', 'holiday', '元旦')).not.toBeNull()
    expect(entryProblem('2026-10-12', 'holiday', 'x'.repeat(41))).not.toBeNull()
  })
  it('exports the year as the CSV the import takes', () => {
    expect(csvOf([day('2026-10-10', 'workday', '国庆节调休'), day('2026-10-01', 'holiday', '国庆节, 中秋节')])).toBe(
      '日期,类型,名称\n2026-10-10,班,国庆节调休\n2026-10-01,休,"国庆节, 中秋节"\n',
    )
  })
  it('groups days by month in date order', () => {
    const g = byMonth([day('2026-10-10', 'workday', 'a'), day('2026-02-15', 'holiday', 'b'), day('2026-10-01', 'holiday', 'c')])
    expect(g.map((m) => m.month)).toEqual([2, 10])
    expect(g[1].days.map((d) => d.day)).toEqual(['2026-10-01', '2026-10-10'])
  })
  it('offers the arranged years and next year, newest first', () => {
    expect(yearChoices([2025, 2026], 2026)).toEqual([2027, 2026, 2025])
  })
})
