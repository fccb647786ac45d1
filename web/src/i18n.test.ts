import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import COMMAND_MESSAGES from './commandMessages.json'
import { FIELD_EN, FIELD_ZH } from './fieldMessages'
import { fieldErrorText, i18n, localText } from './i18n'

describe('server texts in the chosen language', () => {
  it('takes the half of a "中文 English" text', () => {
    expect(localText('导入被拒绝 Import rejected', 'zh-CN')).toBe('导入被拒绝')
    expect(localText('导入被拒绝 Import rejected', 'en')).toBe('Import rejected')
    expect(localText('共 3 个问题，未导入任何数据 3 problem(s); nothing was imported', 'en')).toBe('3 problem(s); nothing was imported')
    expect(localText('不能对自己的账号执行此操作 Not on your own account', 'zh-CN')).toBe('不能对自己的账号执行此操作')
  })
  it('leaves a text in one language, and English words inside Chinese, as they are', () => {
    expect(localText('在 region_code 列填辖区编码', 'en')).toBe('在 region_code 列填辖区编码')
    expect(localText('invalid field(s): phone', 'zh-CN')).toBe('invalid field(s): phone')
  })
  it('words an ApiError by its code, else by the chosen half of its title', () => {
    i18n.global.locale.value = 'en'
    expect(new ApiError(403, { title: '无权操作 Forbidden' }).title).toBe('Forbidden')
    expect(new ApiError(403, { title: 'x', code: 'duties_own_account' }).title).toBe('Not on your own account')
    i18n.global.locale.value = 'zh-CN'
    expect(new ApiError(403, { title: '无权操作 Forbidden' }).title).toBe('无权操作')
    expect(new ApiError(429, { title: 'x', code: 'rate_limited', params: { retry_after: 7 } }).title).toBe('请求过于频繁，请 7 秒后再试')
  })
})

describe('every console message compiles in both languages', () => {
  const leaves = (o: any, prefix = ''): string[] =>
    Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? leaves(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
  it.each(['zh-CN', 'en'])('%s', (lang) => {
    i18n.global.locale.value = lang as any
    const messages = (i18n.global.messages.value as any)[lang]
    const bad: string[] = []
    for (const key of leaves(messages)) {
      try {
        const text = i18n.global.t(key, { n: 1, cols: 'a', u: 'x', v: 2, retry_after: 3 })
        if (!text || text === key) bad.push(key)
      } catch (e) {
        bad.push(`${key}: ${e}`)
      }
    }
    expect(bad).toEqual([])
  })
})

describe('field errors of a 422 invalid_input in the chosen language', () => {
  // The body as the API sends it (tests/api/test_field_errors.py asserts the server's side).
  const body = {
    title: '输入有误 Invalid input', status: 422, code: 'invalid_input', detail: 'invalid field(s): channel, content, lat, reporter_phone, x',
    errors: [
      { field: 'content', code: 'string_too_long', params: { max_length: 4000 }, message: 'String should have at most 4000 characters' },
      { field: 'channel', code: 'enum', params: { expected: ['hotline', 'web'] }, message: "Input should be 'hotline' or 'web'" },
      { field: 'reporter_phone', code: 'phone_invalid', params: {}, message: 'not a mainland mobile (11 digits from 1) or landline (e.g. 0571-88886666)' },
      { field: 'lat', code: 'missing', params: {}, message: 'Field required' },
      { field: 'x', code: 'some_new_code', params: {}, message: 'Value error, something English' },
    ],
  }
  it('in Chinese (the default), with no English server words', () => {
    i18n.global.locale.value = 'zh-CN'
    const e = new ApiError(422, body)
    expect(e.title).toBe('输入有误')
    expect(e.detail).toBe('有误的字段：诉求内容、渠道、联系电话、纬度、x')
    expect(e.fields).toEqual({
      content: '最多 4000 个字符',
      channel: '应为以下之一：hotline、web',
      reporter_phone: '应为手机号（1 开头 11 位）或座机号（区号-号码，如 0571-88886666）',
      lat: '必填',
      x: '取值无效',
    })
  })
  it('in English when chosen', () => {
    i18n.global.locale.value = 'en'
    const e = new ApiError(422, body)
    expect(e.title).toBe('Invalid input')
    expect(e.detail).toBe('Invalid field(s): content, channel, contact phone, latitude, x')
    expect(e.fields.content).toBe('At most 4000 characters')
    expect(e.fields.channel).toBe('Must be one of: hotline, web')
    expect(e.fields.lat).toBe('Required')
    expect(e.fields.x).toBe('Value error, something English')
    i18n.global.locale.value = 'zh-CN'
  })
  it('leaves the texts of other problems (an import\'s) as they came', () => {
    i18n.global.locale.value = 'zh-CN'
    const e = new ApiError(422, { code: 'import_rejected', errors: [{ field: 'lon', code: 'out_of_range', message: '经度超出范围', row: 2 }] })
    expect(e.errors[0].message).toBe('经度超出范围')
  })
})

describe('a refused command (InvalidCommand) in the chosen language', () => {
  // The body as the API sends it (tests/community/test_command_errors.py asserts the server's side).
  const body = {
    title: '输入有误 Invalid input', status: 422, code: 'invalid_input', detail: 'quantity: Must be from 1 to 20',
    errors: [
      { field: 'quantity', code: 'number_range', params: { min: 1, max: 20 }, message: 'Must be from 1 to 20' },
      { field: 'format', code: 'enum', params: { expected: ['csv', 'xlsx'] }, message: 'Must be one of: csv, xlsx' },
      { field: 'household_code', code: 'unknown_household', params: { code: 'HH-404' }, message: 'No household HH-404' },
      { field: 'content', code: 'columns_missing', params: { columns: ['时间', '内容'] }, message: 'Line 1 lacks the column(s): 时间, 内容' },
      { field: 'time_limit', code: 'time_limit_unit', params: { value: '3x', unit: 'x' }, message: "Time limit '3x': unknown unit 'x' (m, h, wh, d or wd)" },
    ],
  }
  it('in Chinese (the default)', () => {
    i18n.global.locale.value = 'zh-CN'
    const e = new ApiError(422, body)
    expect(e.title).toBe('输入有误')
    expect(e.detail).toBe('有误的字段：数量、格式、户号、诉求内容、时限')
    expect(e.fields).toEqual({
      quantity: '须在 1 到 20 之间',
      format: '应为以下之一：csv、xlsx',
      household_code: '没有户号为 HH-404 的住户',
      content: '第 1 行缺少列：时间、内容',
      time_limit: '时限“3x”中的单位“x”未知，应为 m、h、wh、d 或 wd',
    })
  })
  it('in English when chosen', () => {
    i18n.global.locale.value = 'en'
    const e = new ApiError(422, body)
    expect(e.title).toBe('Invalid input')
    expect(e.fields).toEqual({
      quantity: 'Must be from 1 to 20',
      format: 'Must be one of: csv, xlsx',
      household_code: 'No household HH-404',
      content: 'Line 1 lacks the column(s): 时间, 内容',
      time_limit: "Time limit '3x': unknown unit 'x' (m, h, wh, d or wd)",
    })
    i18n.global.locale.value = 'zh-CN'
  })
  it("keeps vue-i18n's syntax characters as text", () => {
    i18n.global.locale.value = 'zh-CN'
    const text = fieldErrorText('time_limit_syntax', { value: '3q' }, '')
    expect(text).toContain('30m@natural（30分钟，自然时间）')
    expect(text.startsWith('时限“3q”无法识别')).toBe(true)
  })
  it('words a code shared with request validation the same either way', () => {
    for (const [lang, field] of [['zh', FIELD_ZH], ['en', FIELD_EN]] as const) {
      const commands = (COMMAND_MESSAGES as Record<string, Record<string, string>>)[lang]
      const shared = Object.keys(commands).filter((code) => code in field)
      expect(shared).toContain('missing')
      for (const code of shared) expect([code, commands[code]]).toEqual([code, field[code]])
    }
  })
})
