import { describe, expect, it, vi } from 'vitest'
import {
  assignmentStateLabel, categorySourceLabel, completePhone, debounce, extensionProblem, limitWords,
  orderRemaining, replyResultLabel, ruleLimit,
} from './desk'

const DAY = 7.5 * 3600

describe('time left that says its clock', () => {
  it('counts working days on the working clock, never hours that read like tomorrow', () => {
    expect(orderRemaining(2.6 * DAY, 'working', DAY)).toBe('剩余 2.6 个工作日')
    expect(orderRemaining(3 * DAY, 'working', DAY)).toBe('剩余 3 个工作日')
    expect(orderRemaining(23 * 3600 + 38 * 60, 'working', DAY)).toBe('剩余 3.2 个工作日')
    expect(orderRemaining(3 * 3600 + 20 * 60, 'working', DAY)).toBe('剩余 3小时20分（工作时间）')
    expect(orderRemaining(-1.5 * DAY, 'working', DAY)).toBe('超时 1.5 个工作日')
  })
  it('says natural time on the natural clock, in both languages', () => {
    expect(orderRemaining(5 * 3600, 'natural', DAY)).toBe('剩余 5小时（自然时）')
    expect(orderRemaining(-90 * 60, 'natural', DAY)).toBe('超时 1小时30分（自然时）')
    expect(orderRemaining(2 * 86400, 'natural', DAY)).toBe('剩余 2 天（自然日）')
    expect(orderRemaining(5 * 3600, 'natural', DAY, true)).toBe('5 h left (calendar time)')
    expect(orderRemaining(30, 'working', DAY, true)).toBe('under 1 min left (office hours)')
  })
})

describe('extensions in natural units', () => {
  it('accepts a whole number within the unit’s range and refuses the rest', () => {
    expect(extensionProblem('3', 'working_days')).toBeNull()
    expect(extensionProblem(8, 'hours')).toBeNull()
    expect(extensionProblem('0', 'working_days')).toMatch(/1 到 60/)
    expect(extensionProblem('三', 'working_days')).toMatch(/整数/)
    expect(extensionProblem('2.5', 'hours')).toMatch(/1 到 720/)
    expect(extensionProblem('91', 'natural_days')).toMatch(/1 到 90/)
    expect(extensionProblem('3', 'weeks')).toBe('请选择单位')
  })
  it('reads stored limits as words', () => {
    expect(limitWords('3d')).toBe('3个工作日')
    expect(limitWords('3d@natural')).toBe('3个自然日')
    expect(limitWords('8h@natural')).toBe('8小时（自然时）')
    expect(limitWords('8h')).toBe('8个工作小时')
    expect(limitWords('3d', true)).toBe('3 working days')
    expect(limitWords('odd')).toBe('odd')
    expect(limitWords(null)).toBe('')
  })
})

describe('labels instead of raw values', () => {
  it('names where a category came from, assignment states and reply outcomes', () => {
    expect(categorySourceLabel('none')).toBe('未识别')
    expect(categorySourceLabel('operator')).toBe('话务员选择')
    expect(categorySourceLabel('something_new')).toBe('其他方式')
    expect(assignmentStateLabel('pending')).toBe('待签收')
    expect(replyResultLabel('partial')).toBe('部分解决')
    expect(replyResultLabel('unresolved', true)).toBe('Cannot be resolved')
  })
  it('takes the rule’s limit for the urgency as the placeholder', () => {
    expect(ruleLimit({ normal: '3d', urgent: '2h' }, false)).toBe('3d')
    expect(ruleLimit({ normal: '3d', urgent: '2h' }, true)).toBe('2h')
    expect(ruleLimit({ normal: '5d' }, true)).toBe('5d')
    expect(ruleLimit(null, false)).toBe('')
  })
})

describe('typing helpers', () => {
  it('debounces to the last call once typing pauses, and can cancel', () => {
    vi.useFakeTimers()
    const seen: string[] = []
    const f = debounce((s: string) => seen.push(s), 300)
    f('a'); f('ab'); vi.advanceTimersByTime(299)
    expect(seen).toEqual([])
    vi.advanceTimersByTime(1)
    expect(seen).toEqual(['ab'])
    f('abc'); f.cancel(); vi.advanceTimersByTime(1000)
    expect(seen).toEqual(['ab'])
    vi.useRealTimers()
  })
  it('knows a complete phone number', () => {
    expect(completePhone('138 1234 1234')).toBe('13812341234')
    expect(completePhone('0571-88886666')).toBe('0571-88886666')
    expect(completePhone('1381234')).toBeNull()
  })
})
