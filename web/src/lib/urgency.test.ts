import { describe, expect, it } from 'vitest'
import { urgencyExplanation, type UrgencyRecord } from './urgency'

const gas: UrgencyRecord = {
  level: 'urgent', life_safety: true, source: 'text', reason: 'gas_leak', evidence: '燃气味道很重',
}

describe('urgencyExplanation', () => {
  it('names the level, who decided, the hazard and the caller\'s words', () => {
    expect(urgencyExplanation(gas, false)).toBe('生命安全 · 诉求文本 · 燃气泄漏：「燃气味道很重」')
    expect(urgencyExplanation(gas, true)).toBe("Life safety · the caller's words · gas leak：「燃气味道很重」")
  })

  it('explains a near-miss that was set aside', () => {
    const past: UrgencyRecord = { level: 'normal', life_safety: false, source: null, reason: 'past', evidence: '去年那次燃气泄漏' }
    expect(urgencyExplanation(past, false)).toBe('一般 · 过去的事：「去年那次燃气泄漏」')
  })

  it('does not repeat a source-level reason code', () => {
    const cat: UrgencyRecord = { level: 'urgent', life_safety: true, source: 'category', reason: 'category_life_safety', evidence: null }
    expect(urgencyExplanation(cat, false)).toBe('生命安全 · 分类默认')
  })
})
