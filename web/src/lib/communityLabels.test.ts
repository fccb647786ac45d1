import { describe, expect, it } from 'vitest'
import { communityLabel } from './communityLabels'

describe('community states in the chosen language', () => {
  it('gives English by code, the server label in Chinese or for an unknown code', () => {
    expect(communityLabel('dispute', 'mediating', '调解中', true)).toBe('Mediating')
    expect(communityLabel('dispute', 'mediating', '调解中', false)).toBe('调解中')
    expect(communityLabel('order', 'in_progress', '办理中', true)).toBe('In progress')
    expect(communityLabel('topic', 'something_new', '新状态', true)).toBe('新状态')
  })
})
