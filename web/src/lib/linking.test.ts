import { describe, expect, it } from 'vitest'
import { linkExplanation, type LinkRecord } from './linking'

const link: LinkRecord = {
  order_id: 7,
  score: 0.8,
  reasons: '服务器的说明',
  evidence: {
    distance_m: 12.4, same_place: null, same_address: '黄河路921号', same_name: null,
    category: '生态环境/大气污染/餐饮油烟', text_similarity: 0.3312, hours_apart: 20, sensing_rule: null,
  },
}

describe('linkExplanation', () => {
  it('words the evidence in Chinese and in English', () => {
    expect(linkExplanation(link, false)).toBe(
      '地址相同（黄河路921号），距离 12 米，同类 生态环境/大气污染/餐饮油烟，文本相似度 0.33，相隔 20.0 小时',
    )
    expect(linkExplanation(link, true)).toBe(
      'same address (黄河路921号); 12 m apart; same category 生态环境/大气污染/餐饮油烟; text similarity 0.33; 20.0 h apart',
    )
  })

  it('names the shared place and the sensing rule when that is the evidence', () => {
    const named: LinkRecord = { ...link, evidence: { ...link.evidence!, same_address: null, distance_m: null, same_name: '阳光新城', sensing_rule: 'smoke' } }
    expect(linkExplanation(named, false)).toContain('同一地点（阳光新城）')
    expect(linkExplanation(named, false)).toContain('同一感知规则 smoke')
    expect(linkExplanation(named, true)).not.toContain('m apart')
  })

  it('falls back to the server line for links stored before the evidence, and to nothing', () => {
    expect(linkExplanation({ order_id: 1, score: 0.5, reasons: '文本相似度 0.50' }, true)).toBe('文本相似度 0.50')
    expect(linkExplanation(null, false)).toBe('')
  })
})
