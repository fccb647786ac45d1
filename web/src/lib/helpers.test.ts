import { describe, expect, it } from 'vitest'
import {
  contactDisplay, csvText, fmtBytes, isMasked, maskName, maskPhone, remainingNow, rulesCsv, slaCountdown, slaKind,
  TEMPLATES, templateCsv, uploadProblem,
} from './helpers'
import { ENUM_EN } from '../i18n'

describe('SLA countdown', () => {
  it('reads the remaining time in days and hours, hours and minutes, or minutes', () => {
    expect(slaCountdown(2 * 86400 + 3 * 3600 + 59)).toBe('剩余 2天3小时')
    expect(slaCountdown(5 * 3600 + 7 * 60)).toBe('剩余 5小时7分')
    expect(slaCountdown(45 * 60)).toBe('剩余 45分钟')
    expect(slaCountdown(2 * 86400 + 3 * 3600, true)).toBe('2d 3h left')
  })
  it('says overdue by how much once the deadline has passed', () => {
    expect(slaCountdown(-45 * 60)).toBe('已超时 45分钟')
    expect(slaCountdown(-(86400 + 3600), true)).toBe('overdue by 1d 1h')
  })
  it('colours by the server reading, and overdue once the countdown passes zero', () => {
    expect(slaKind('normal', 100)).toBe('normal')
    expect(slaKind('warning', 100)).toBe('warning')
    expect(slaKind('warning', -1)).toBe('overdue')
    expect(slaKind('overdue', 5000)).toBe('overdue')
  })
  it('ticks a running clock down by the wall time, and leaves a stopped one alone', () => {
    expect(remainingNow(3600, true, 60_000)).toBe(3540)
    expect(remainingNow(3600, false, 60_000)).toBe(3600)
  })
})

describe('masked personal data', () => {
  it('masks like the server (cityloop/domain/privacy.py)', () => {
    expect(maskPhone('13812341234')).toBe('138****1234')
    expect(maskPhone('0871-6543210')).toBe('087****3210')
    expect(maskPhone('12345')).toBe('***45')
    expect(maskPhone('')).toBe('')
    expect(maskName('张三')).toBe('张*')
    expect(maskName('欧阳娜娜')).toBe('欧***')
    expect(maskName('张')).toBe('张*')
  })
  it('tells masked values apart and shows a dash for none', () => {
    expect(isMasked('138****1234')).toBe(true)
    expect(isMasked('13812341234')).toBe(false)
    expect(contactDisplay('138****1234')).toBe('138****1234')
    expect(contactDisplay('13812341234')).toBe('13812341234')
    expect(contactDisplay(null)).toBe('—')
  })
})

describe('CSV templates', () => {
  it('writes a BOM, the header, CRLF lines and quotes what needs quoting', () => {
    const text = csvText(['a', 'b'], [['x,y', 'say "hi"'], [1, null]])
    expect(text.charCodeAt(0)).toBe(0xfeff)
    expect(text.slice(1)).toBe('a,b\r\n"x,y","say ""hi"""\r\n1,\r\n')
  })
  it('gives each import the columns the server requires', () => {
    expect(templateCsv('departments').slice(1).split('\r\n')[0]).toBe('code,name,level,region_code,phone')
    expect(templateCsv('taxonomy').slice(1).split('\r\n')[0]).toBe('一级分类,二级分类,三级分类')
    const linkage = templateCsv('linkage').slice(1).split('\r\n')
    expect(linkage[0]).toBe('category,region_code,lead,co,urgent,normal')
    expect(linkage[1].split(',')).toHaveLength(TEMPLATES.linkage.columns.length)
  })
  it('exports a linkage list that imports back unchanged', () => {
    const csv = rulesCsv([
      { category_code: '010101', category_path: '城乡建设/市政设施/路灯损坏', region_code: null, lead_department: 'D-CG', co_departments: ['@street', 'D-GA'], limits: { normal: '5d', urgent: '1d' } },
    ])
    expect(csv.slice(1).split('\r\n')[1]).toBe('城乡建设/市政设施/路灯损坏,,D-CG,@street|D-GA,1d,5d')
  })
})

describe('uploads', () => {
  it('refuses empty, too large and unsupported files before sending', () => {
    expect(uploadProblem({ name: 'a.jpg', type: 'image/jpeg', size: 2048 })).toBeNull()
    expect(uploadProblem({ name: 'a.jpg', type: 'image/jpeg', size: 0 })).toMatch(/空文件/)
    expect(uploadProblem({ name: 'a.png', type: 'image/png', size: 11 * 1024 * 1024 })).toMatch(/10 MB/)
    expect(uploadProblem({ name: 'a.exe', type: 'application/x-msdownload', size: 10 })).toMatch(/PDF/)
  })
  it('formats sizes', () => {
    expect(fmtBytes(512)).toBe('512 B')
    expect(fmtBytes(2048)).toBe('2 KB')
    expect(fmtBytes(3 * 1024 * 1024)).toBe('3.0 MB')
  })
})

describe('English labels', () => {
  it('name every status, action, channel, role, rating and urgency the server knows', () => {
    const server = {
      statuses: ['received', 'pending_dispatch', 'dispatched', 'accepted', 'in_progress', 'replied', 'reopened', 'returned', 'closed', 'merged', 'cancelled'],
      actions: ['receive', 'link', 'submit', 'dispatch', 'accept', 'return', 'start', 'request_extension', 'approve_extension', 'deny_extension', 'co_reply', 'reply', 'urge', 'rate', 'reject_reply', 'close', 'merge', 'cancel', 'comment'],
      channels: ['hotline', 'web', 'wechat', 'sms', 'mailbox', 'app', 'grid_patrol', 'sensor', 'open311'],
      roles: ['admin', 'dispatcher', 'operator', 'department_handler', 'grid_worker', 'supervisor', 'leader', 'resident'],
      ratings: ['satisfied', 'basically_satisfied', 'unsatisfied'],
      urgencies: ['normal', 'urgent'],
    }
    for (const [kind, values] of Object.entries(server)) {
      for (const v of values) expect(ENUM_EN[kind]?.[v], `${kind}.${v}`).toBeTruthy()
    }
  })
})
