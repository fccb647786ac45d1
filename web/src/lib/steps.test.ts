import { describe, expect, it } from 'vitest'
import {
  badge, durationWords, limitLabel, liveState, newArrivals, remainingWords, secondsLeft, stepLabel, usedFraction,
  watchLabel, watchListsFor, WATCH_LISTS, type StepTimer,
} from './steps'

const T0 = Date.parse('2026-12-01T09:00:00Z')
const min = 60_000

function natural(over: Partial<StepTimer> = {}): StepTimer {
  return {
    step: 'respond', limit: '30m@natural', clock: 'natural',
    started_at: new Date(T0).toISOString(), warn_at: new Date(T0 + 24 * min).toISOString(),
    due_at: new Date(T0 + 30 * min).toISOString(), finished_at: null, state: 'running',
    remaining_seconds: 1800, remaining_text: { zh: '剩余 30分钟（自然时）', en: '30m left (natural time)' },
    ...over,
  }
}

describe('time left in words', () => {
  it('reads days and hours, hours and minutes, or minutes', () => {
    expect(durationWords(86400 + 3 * 3600 + 59)).toBe('1天3小时')
    expect(durationWords(5 * 3600 + 7 * 60)).toBe('5小时7分钟')
    expect(durationWords(-25 * 60)).toBe('25分钟')
    expect(durationWords(2 * 86400, true)).toBe('2d')
    expect(durationWords(30)).toBe('不到1分钟')
  })
  it('counts a natural clock down by the wall clock, and says by how much it is late', () => {
    expect(remainingWords(natural(), T0 + 10 * min)).toBe('剩余 20分钟（自然时）')
    expect(remainingWords(natural(), T0 + 55 * min)).toBe('超时 25分钟')
    expect(remainingWords(natural(), T0 + 55 * min, true)).toBe('overdue by 25m')
  })
  it("takes the server's words for the working clock (only it knows office hours and holidays)", () => {
    const t = natural({ clock: 'working', limit: '1d', remaining_seconds: 37800, remaining_text: { zh: '剩余 1天3小时（工作日）', en: '1d 3h left (working time)' } })
    expect(remainingWords(t, T0 + 10 * min)).toBe('剩余 1天3小时（工作日）')
    expect(remainingWords(t, T0, true)).toBe('1d 3h left (working time)')
    expect(secondsLeft(t, T0 + 99 * min)).toBe(37800)
  })
  it('names how a finished step ended', () => {
    expect(remainingWords(natural({ state: 'done', finished_at: new Date(T0 + min).toISOString(), remaining_text: null }), T0)).toBe('按时完成')
    expect(remainingWords(natural({ state: 'done_late', remaining_text: null }), T0, true)).toBe('done late')
    expect(remainingWords(natural({ state: 'cancelled', remaining_text: { zh: '已取消', en: 'cancelled' } }), T0)).toBe('已取消')
    expect(secondsLeft(natural({ state: 'done' }), T0)).toBeNull()
  })
})

describe('live state and the 80 % warning', () => {
  it('turns a running natural clock to warning at warn_at and overdue after due_at', () => {
    expect(liveState(natural(), T0 + 23 * min)).toBe('running')
    expect(liveState(natural(), T0 + 24 * min)).toBe('warning')
    expect(liveState(natural(), T0 + 31 * min)).toBe('overdue')
    expect(liveState(natural({ clock: 'working', state: 'running' }), T0 + 99 * min)).toBe('running')
  })
  it('puts the bar at the warning mark exactly at warn_at and full at due_at', () => {
    expect(usedFraction(natural(), T0 + 12 * min)).toBeCloseTo(0.4)
    expect(usedFraction(natural(), T0 + 24 * min)).toBeCloseTo(0.8)
    expect(usedFraction(natural(), T0 + 30 * min)).toBeCloseTo(1)
    expect(usedFraction(natural(), T0 + 60 * min)).toBeGreaterThan(1)
  })
  it('labels steps and limits in both languages', () => {
    expect(limitLabel(natural({ limit: '2h', limit_label: { zh: '2个工作小时', en: '2 working hours' } }))).toBe('2个工作小时')
    expect(limitLabel(natural({ limit: '30m@natural', limit_label: null }))).toBe('30m@natural')
    expect(stepLabel('co_feedback')).toBe('协办反馈时限')
    expect(stepLabel('dispatch', true)).toBe('Dispatch')
  })
})

describe('watch lists', () => {
  it('gives each acting role its lists, life safety first; others none', () => {
    expect(watchListsFor('dispatcher')[0]).toBe('life_safety')
    expect(watchListsFor('dispatcher')).toContain('dispatch_overdue')
    expect(watchListsFor('supervisor')).toContain('extension_pending')
    expect(watchListsFor('leader')).toHaveLength(8)
    expect(watchListsFor('department_handler')).toEqual([])
    expect(watchListsFor(undefined)).toEqual([])
  })
  it('covers the eight lists of the API contract', () => {
    expect(WATCH_LISTS.map((w) => w.key)).toEqual([
      'warning', 'overdue', 'extension_pending', 'urged', 'rework', 'awaiting_visit', 'dispatch_overdue', 'life_safety',
    ])
    expect(watchLabel('awaiting_visit')).toBe('待回访')
    expect(watchLabel('urged', true)).toBe('Urged')
  })
  it('shows a badge only for something to do', () => {
    expect(badge(0)).toBe('')
    expect(badge(7)).toBe('7')
    expect(badge(250)).toBe('99+')
  })
  it('alarms only for life-safety orders this screen has not seen', () => {
    expect(newArrivals([3, 5, 8], new Set([3, 5]))).toEqual([8])
    expect(newArrivals([], new Set([1]))).toEqual([])
  })
})
