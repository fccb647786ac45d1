import { createI18n } from 'vue-i18n'
import { ID_EN, ID_ZH } from './identityMessages'
import { MOBILE_EN, MOBILE_ZH } from './mobileMessages'
import { FIELD_EN, FIELD_ZH } from './fieldMessages'
import COMMAND_MESSAGES from './commandMessages.json'
import FIELD_LABELS from './fieldLabels.json'

const zh = {
  app: { name: 'CityLoop 一网统管', tagline: '一网统管', logout: '退出登录', lang: 'English', role: '角色' },
  nav: {
    screen: '指挥大屏', intake: '来电受理', dispatch: '派单队列', orders: '工单列表', inbox: '部门待办',
    grid: '网格工作台', portal: '群众服务', admin: '系统管理', regions: '区域网格', departments: '部门',
    taxonomy: '诉求分类', linkage: '联动清单', users: '用户', holidays: '节假日与调休', knowledge: '知识库', sensing: '物联感知', jobs: '后台任务', audit: '审计日志',
    registry: '社区数据库', wishes: '心愿墙', snaps: '随手拍', points: '积分', mediation: '矛盾调解', trust: '信托物业', groups: '微网格群', flash: '突发事件快报',
  },
  common: {
    search: '查询', reset: '重置', submit: '提交', cancel: '取消', confirm: '确定', loading: '加载中…',
    empty: '暂无数据', retry: '重试', error: '加载失败', detail: '详情', export: '导出Excel', refresh: '刷新',
    total: '共 {n} 条', save: '保存', back: '返回', yes: '是', no: '否', optional: '可选',
  },
  login: { title: '登录', username: '用户名', password: '密码', submit: '登录', expired: '登录已失效，请重新登录', resident: '群众无需登录：提交诉求与进度查询' },
  order: {
    ticket: '工单号', status: '状态', title: '标题', category: '分类', urgency: '紧急程度', region: '区域',
    department: '承办单位', lead: '主办单位', co: '协办单位', channel: '渠道', received: '受理时间', due: '办理时限',
    sla: '时限状态', rating: '评价', content: '诉求内容', address: '地址', callers: '诉求人', timeline: '办理过程',
    attachments: '附件', actions: '可执行操作', noActions: '当前没有您可执行的操作', reveal: '查看完整信息',
    revealReason: '查看原因', masked: '个人信息已脱敏', routing: '智能分派建议', reply: '答复内容',
    remaining: '剩余', overdueBy: '已超时', map: '位置', co_handlers: '协办情况', urges: '督办次数',
    openDetail: '打开', noLocation: '无坐标', preview: '点击查看大图', revealed: '已显示完整信息（已记入审计）',
    linkedWhy: '关联依据',
  },
  filters: {
    status: '状态', department: '部门', category: '分类', region: '区域', channel: '渠道', dateRange: '受理日期',
    overdue: '仅超时', text: '工单号/标题/内容', presets: '常用筛选', savePreset: '保存当前筛选', presetName: '筛选名称',
    deletePreset: '删除', presetRule: '1–30 个字', presetSaved: '已保存「{name}」', exported: '已导出 {n} 条',
    regionHint: '选择或搜索区、街道、社区、网格',
  },
  intake: {
    title: '来电受理', content: '诉求内容', address: '地址', pick: '在地图上点选位置', callerName: '来电人姓名',
    callerPhone: '联系电话', channel: '渠道', category: '诉求分类（可选）', urgency: '紧急程度（可选）',
    submit: '提交受理', accepted: '受理成功', readBack: '请向来电人复述工单号', nextStep: '下一步', another: '继续受理',
    picked: '已选位置', clearPick: '清除', photos: '照片', addPhoto: '添加照片', removePhoto: '删除',
    uploading: '上传中…', photoHint: 'JPEG/PNG/WebP/GIF 或 PDF，每个不超过 10 MB，最多 10 个',
  },
  dispatch: {
    title: '派单队列', dispatch: '派单', merge: '合并', cancel: '撤销', suggestions: '分派建议', reason: '原因',
    confidence: '置信度', mergeInto: '合并到工单号', cancelReason: '撤销原因', timeLimit: '时限（如 5d、2h，可选）',
  },
  portal: {
    title: '群众诉求服务', submitTab: '我要反映', trackTab: '进度查询', content: '请描述问题', phone: '手机号',
    name: '称呼（可选）', submit: '提交', ticket: '您的工单号', keep: '请记下工单号，凭工单号和手机号查询进度。',
    track: '查询', rate: '评价办理结果', rateDone: '感谢您的评价', rateNote: '意见建议（可选）', notFound: '未找到：请核对工单号和手机号',
    steps: '办理进度', reply: '答复', channel: '提交方式',
  },
  // 突发事件快报 kinds (the server's `kind`).
  flashKind: { first: '首报', follow_up: '续报', final: '终报' },
  screen: {
    title: '城市运行指挥中心', today: '今日受理', open: '在办工单', overdue: '超时工单', onTime: '按时办结率',
    satisfaction: '满意率', trend: '近30日受理与答复', categoryMix: '诉求分类占比', channelMix: '渠道来源',
    hot: '热点问题', warnings: '异常预警', flash: '突发事件快报', appealsN: '{n}件', noWarnings: '暂无预警', otherCategories: '其他',
    league: '部门办理排行', grids: '高发网格', received: '受理', replied: '答复', live: '实时', updated: '更新于',
    orders: '工单数', dept: '部门', rate: '按时率', sat: '满意率', grid: '网格', count: '诉求数', mapOrders: '在办工单分布',
    urgent: '紧急', score: '综合分', replies: '答复', fewReplies: '样本不足', citywide: '全市',
    leagueRule: '综合分 = 按时率×{ontime}% + 满意率×{sat}% + 未超时率×{od}%；答复少于 {n} 件不参与排名',
    unlocated: '在办 {open} 张，其中 {n} 张无位置信息，未在地图显示',
    where: '所在位置', outside: '不在任何网格内', searchPlace: '搜索地址或地名',
  },
  grid: { title: '网格工作台', report: '巡查上报', mine: '本网格工单' },
  inbox: { title: '部门待办', todo: '待签收', doing: '办理中', all: '全部' },
  admin: {
    import: '导入 GeoJSON', importHint: '选择 GeoJSON 文件（FeatureCollection，properties 含 code/name/level/parent_code）',
    imported: '已导入 {n} 个区域', level: '层级', newUser: '新建用户', username: '用户名', password: '初始密码',
    displayName: '姓名', role: '角色', regionCode: '辖区编码', deptCode: '部门编码', active: '启用', version: '版本',
    limits: '时限', importCsv: '导入 CSV', template: '下载模板', currentCsv: '导出当前清单（CSV）',
    importOk: '导入成功：{n} 条', importVersion: '导入成功：已生成并启用第 {v} 版', rejected: '导入被拒绝，未做任何更改',
    row: '行', field: '字段', message: '问题', featureRow: '要素序号', region: '辖区', department: '所属部门',
    regionHint: '督办人员选街道或区，网格员选单元网格', phone: '电话', created: '已创建用户 {u}',
    csvHint: 'CSV（UTF-8 或 GB18030），第一行为列名：{cols}',
    wholeFile: '整个文件', notJson: '不是有效的 JSON 文件', notCollection: '需要 GeoJSON FeatureCollection',
    problems: '共 {n} 个问题，未导入任何数据；请按“处理办法”改正后重新导入', xlsxToo: '也可直接导入 Excel（.xlsx）',
    whatToDo: '处理办法', moreProblems: '另有 {n} 个问题未列出',
    code: '编码', name: '名称', parent: '上级', regionOf: '所属区域', nameOrCode: '名称或编码', filter: '筛选',
    categoryOrDept: '分类或部门', streetOffice: '属地街道', levelHint: '（level：city / district / street）',
    keepCategories: '；已有分类保留', linkageHint: "；category 为分类编码或路径，co 用 {'|'} 分隔（{'@'}street 为属地街道），时限如 2h、5d",
    chooseRegion: '请选择辖区', chooseDept: '请选择部门', usernameRule: "2–80 位字母、数字或 _.{'@'}-",
    passwordRule: '至少 10 位，含大写、小写、数字、符号中的 3 类', required: '必填', choose: '必选', exportFailed: '导出失败', listSep: '、',
  },
  sensing: {
    title: '物联感知设备', devices: '设备', alarms: '未关闭告警', invalid: '无效消息', status: '状态', lastSeen: '最后上报',
    device: '设备编号', type: '类型', name: '名称', grid: '网格', address: '地址', owner: '责任单位', rule: '规则',
    opened: '发生时间', ticket: '工单', repeats: '重复', reading: '读数', reason: '原因', count: '次数', lastAt: '最近一次',
    online: '在线', offline: '离线', unknown: '未上报', allStatus: '全部状态', none: '暂无', total: '设备总数',
    neverSeen: '从未上报', importDevices: '导入设备台账',
  },
  id: ID_ZH,
  m: MOBILE_ZH,
  fe: { ...COMMAND_MESSAGES.zh, ...FIELD_ZH },
  enum: {} as Record<string, Record<string, string>>,
}

/** English labels of the server's choices (GET /meta/choices gives Chinese only), by value. */
export const ENUM_EN: Record<string, Record<string, string>> = {
  statuses: {
    received: 'Received', pending_dispatch: 'Awaiting dispatch', dispatched: 'Dispatched', accepted: 'Accepted',
    in_progress: 'In progress', replied: 'Replied', reopened: 'Reopened', returned: 'Returned', closed: 'Closed',
    merged: 'Merged', cancelled: 'Cancelled',
  },
  actions: {
    receive: 'Receive', link: 'Link appeal', submit: 'Send to dispatch queue', dispatch: 'Dispatch', accept: 'Accept',
    return: 'Return', start: 'Start handling', request_extension: 'Request extension', approve_extension: 'Approve extension',
    deny_extension: 'Deny extension', co_reply: 'Co-handler feedback', reply: 'Reply', urge: 'Urge', rate: 'Rate',
    reject_reply: 'Send back for rework', close: 'Close', merge: 'Merge', cancel: 'Cancel', comment: 'Comment',
  },
  channels: {
    hotline: '12345 hotline', web: 'Website', wechat: 'WeChat mini-program', sms: 'SMS', mailbox: "Mayor's mailbox",
    app: 'App', grid_patrol: 'Grid patrol', sensor: 'Sensor', open311: 'Open311',
  },
  roles: {
    admin: 'Administrator', dispatcher: 'Dispatcher', operator: 'Hotline operator', department_handler: 'Department handler',
    grid_worker: 'Grid worker', supervisor: 'Supervisor', leader: 'Leader / command centre', resident: 'Resident',
    security_admin: 'Security administrator', auditor: 'Security auditor',
  },
  ratings: { satisfied: 'Satisfied', basically_satisfied: 'Basically satisfied', unsatisfied: 'Unsatisfied' },
  urgencies: { normal: 'Normal', urgent: 'Urgent' },
  sla_statuses: { normal: 'On track', warning: 'Warning', overdue: 'Overdue' },
  region_levels: { city: 'City', district: 'District', street: 'Street', community: 'Community', grid: 'Unit grid' },
}

const en: typeof zh = {
  app: { name: 'CityLoop', tagline: 'City operations', logout: 'Sign out', lang: '中文', role: 'Role' },
  nav: {
    screen: 'Command centre', intake: 'Call intake', dispatch: 'Dispatch queue', orders: 'Work orders', inbox: 'Department inbox',
    grid: 'Grid worker', portal: 'Residents', admin: 'Administration', regions: 'Regions & grids', departments: 'Departments',
    taxonomy: 'Taxonomy', linkage: 'Linkage list', users: 'Users', holidays: 'Holiday calendar', knowledge: 'Knowledge base', sensing: 'Sensing', jobs: 'Background jobs', audit: 'Audit trail',
    registry: 'Community database', wishes: 'Wish wall', snaps: 'Snap reports', points: 'Points', mediation: 'Mediation', trust: 'Trust property', groups: 'Building groups', flash: 'Flash reports',
  },
  common: {
    search: 'Search', reset: 'Reset', submit: 'Submit', cancel: 'Cancel', confirm: 'OK', loading: 'Loading…',
    empty: 'Nothing here', retry: 'Retry', error: 'Failed to load', detail: 'Detail', export: 'Export Excel', refresh: 'Refresh',
    total: '{n} in all', save: 'Save', back: 'Back', yes: 'Yes', no: 'No', optional: 'optional',
  },
  login: { title: 'Sign in', username: 'Username', password: 'Password', submit: 'Sign in', expired: 'Session expired, please sign in again', resident: 'Residents need no account: report and track here' },
  order: {
    ticket: 'Ticket', status: 'Status', title: 'Title', category: 'Category', urgency: 'Urgency', region: 'Region',
    department: 'Department', lead: 'Lead', co: 'Co-handlers', channel: 'Channel', received: 'Received', due: 'Due',
    sla: 'Deadline', rating: 'Rating', content: 'Appeal', address: 'Address', callers: 'Callers', timeline: 'Timeline',
    attachments: 'Attachments', actions: 'Actions', noActions: 'No action is yours to take now', reveal: 'Show full details',
    revealReason: 'Reason', masked: 'Personal data masked', routing: 'Routing suggestions', reply: 'Reply',
    remaining: 'left', overdueBy: 'overdue by', map: 'Location', co_handlers: 'Co-handling', urges: 'Urged',
    openDetail: 'Open', noLocation: 'no coordinates', preview: 'Click for a larger view', revealed: 'Full details shown (audited)',
    linkedWhy: 'Why linked',
  },
  filters: {
    status: 'Status', department: 'Department', category: 'Category', region: 'Region', channel: 'Channel', dateRange: 'Received',
    overdue: 'Overdue only', text: 'Ticket, title or text', presets: 'Saved filters', savePreset: 'Save filter', presetName: 'Name',
    deletePreset: 'Delete', presetRule: '1–30 characters', presetSaved: 'Saved: {name}', exported: '{n} exported',
    regionHint: 'Pick or search a district, street, community or grid',
  },
  intake: {
    title: 'Call intake', content: 'What the caller says', address: 'Address', pick: 'Pick the place on the map', callerName: 'Caller name',
    callerPhone: 'Phone', channel: 'Channel', category: 'Category (optional)', urgency: 'Urgency (optional)',
    submit: 'Record appeal', accepted: 'Recorded', readBack: 'Read the ticket number back to the caller', nextStep: 'Next step', another: 'Next call',
    picked: 'Picked', clearPick: 'Clear', photos: 'Photos', addPhoto: 'Add photo', removePhoto: 'Remove',
    uploading: 'Uploading…', photoHint: 'JPEG/PNG/WebP/GIF or PDF, up to 10 MB each, at most 10',
  },
  dispatch: {
    title: 'Dispatch queue', dispatch: 'Dispatch', merge: 'Merge', cancel: 'Cancel', suggestions: 'Suggestions', reason: 'Reason',
    confidence: 'Confidence', mergeInto: 'Merge into ticket', cancelReason: 'Reason for cancelling', timeLimit: 'Time limit (e.g. 5d, 2h; optional)',
  },
  portal: {
    title: 'Report a problem', submitTab: 'Report', trackTab: 'Track', content: 'Describe the problem', phone: 'Mobile',
    name: 'Name (optional)', submit: 'Submit', ticket: 'Your ticket number', keep: 'Keep the ticket number: track it with your phone number.',
    track: 'Track', rate: 'Rate the answer', rateDone: 'Thank you for rating', rateNote: 'Comments (optional)', notFound: 'Not found: check ticket and phone',
    steps: 'Progress', reply: 'Answer', channel: 'Sent from',
  },
  flashKind: { first: 'First report', follow_up: 'Follow-up', final: 'Final report' },
  screen: {
    title: 'City Operations Command Centre', today: 'Today', open: 'Open', overdue: 'Overdue', onTime: 'On-time rate',
    satisfaction: 'Satisfaction', trend: '30-day intake and replies', categoryMix: 'Categories', channelMix: 'Channels',
    hot: 'Hot issues', warnings: 'Warnings', flash: 'Flash reports', appealsN: '{n} appeals', noWarnings: 'No warnings', otherCategories: 'Other',
    league: 'Department league', grids: 'Busiest grids', received: 'Received', replied: 'Replied', live: 'Live', updated: 'Updated',
    orders: 'Orders', dept: 'Department', rate: 'On time', sat: 'Satisfied', grid: 'Grid', count: 'Appeals', mapOrders: 'Open orders',
    urgent: 'Urgent', score: 'Score', replies: 'Replies', fewReplies: 'too few', citywide: 'City-wide',
    leagueRule: 'Score = on time × {ontime}% + satisfied × {sat}% + not overdue × {od}%; fewer than {n} replies: not ranked',
    unlocated: '{open} open, {n} without a location are not on the map',
    where: 'Location', outside: 'Outside every grid', searchPlace: 'Search an address or place',
  },
  grid: { title: 'Grid worker', report: 'Patrol report', mine: 'Orders in my grid' },
  inbox: { title: 'Department inbox', todo: 'To accept', doing: 'In progress', all: 'All' },
  admin: {
    import: 'Import GeoJSON', importHint: 'Choose a GeoJSON FeatureCollection (properties: code, name, level, parent_code)',
    imported: '{n} regions imported', level: 'Level', newUser: 'New user', username: 'Username', password: 'Initial password',
    displayName: 'Name', role: 'Role', regionCode: 'Region code', deptCode: 'Department code', active: 'Active', version: 'Version',
    limits: 'Limits', importCsv: 'Import CSV', template: 'Download template', currentCsv: 'Export current list (CSV)',
    importOk: 'Imported: {n} rows', importVersion: 'Imported: version {v} is now active', rejected: 'Import rejected; nothing was changed',
    row: 'Row', field: 'Field', message: 'Problem', featureRow: 'Feature', region: 'Jurisdiction', department: 'Department',
    regionHint: 'Supervisors: a street or district; grid workers: a unit grid', phone: 'Phone', created: 'User {u} created',
    csvHint: 'CSV (UTF-8 or GB18030), first line the column names: {cols}',
    wholeFile: 'whole file', notJson: 'Not a valid JSON file', notCollection: 'A GeoJSON FeatureCollection is required',
    problems: '{n} problem(s); nothing was imported. Correct them as the last column says and import again', xlsxToo: 'Excel (.xlsx) works too',
    whatToDo: 'What to do', moreProblems: '{n} more problems not listed',
    code: 'Code', name: 'Name', parent: 'Parent', regionOf: 'Region', nameOrCode: 'Name or code', filter: 'Filter',
    categoryOrDept: 'Category or department', streetOffice: 'Local street office', levelHint: ' (level: city / district / street)',
    keepCategories: '; existing categories are kept', linkageHint: "; category is a code or a path, co split by {'|'} ({'@'}street: the local street office), limits like 2h, 5d",
    chooseRegion: 'Choose the jurisdiction', chooseDept: 'Choose the department', usernameRule: "2–80 letters, digits or _.{'@'}-",
    passwordRule: 'At least 10 characters with 3 of upper, lower, digit, symbol', required: 'Required', choose: 'Choose one', exportFailed: 'Export failed', listSep: ', ',
  },
  sensing: {
    title: 'Sensing devices', devices: 'Devices', alarms: 'Open alarms', invalid: 'Invalid messages', status: 'Status', lastSeen: 'Last seen',
    device: 'Device', type: 'Type', name: 'Name', grid: 'Grid', address: 'Address', owner: 'Owner', rule: 'Rule',
    opened: 'Opened', ticket: 'Order', repeats: 'Repeats', reading: 'Reading', reason: 'Reason', count: 'Count', lastAt: 'Last',
    online: 'Online', offline: 'Offline', unknown: 'Not heard', allStatus: 'All states', none: 'None', total: 'Devices',
    neverSeen: 'never', importDevices: 'Import device register',
  },
  id: ID_EN,
  m: MOBILE_EN,
  fe: { ...COMMAND_MESSAGES.en, ...FIELD_EN },
  enum: ENUM_EN,
}

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('cityloop.lang') : null

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
})

export function toggleLocale(): void {
  const next = i18n.global.locale.value === 'en' ? 'zh-CN' : 'en'
  i18n.global.locale.value = next
  localStorage.setItem('cityloop.lang', next)
  document.documentElement.lang = next
}

const CJK = /[\u3000-\u9fff\uff00-\uffef“”]/
const BILINGUAL = /^([\s\S]*[\u3000-\u9fff\uff00-\uffef“”][\s\S]*?)\s+([A-Za-z0-9][^\u3000-\u9fff]*)$/

/** A server text written "中文 English" (titles of problems, older messages) in the chosen
 * language; a text in one language only is returned as it is. */
export function localText(text: string, lang: string = i18n.global.locale.value): string {
  if (!text || !CJK.test(text)) return text
  const m = BILINGUAL.exec(text)
  if (!m) return text
  return lang === 'en' ? m[2].trim() : m[1].trim()
}

/** A server problem's words: by its code where the console knows it (id.codes), else its
 * title in the chosen language. */
export function problemText(code: string, params: Record<string, unknown>, title: string): string {
  const g = i18n.global as any
  if (code && g.te(`id.codes.${code}`)) return g.t(`id.codes.${code}`, params)
  return localText(title)
}

/** One field error of a 422 invalid_input (a request-validation error or a refused command) in
 * the chosen language: by its code and params where the console knows it (fe: fieldMessages.ts
 * and commandMessages.json, written from the server's catalogue), else the server's message (its
 * chosen half when it is written "中文 English"); English that cannot be worded is not shown in
 * Chinese. A list param is joined; `expected` is also offered as `choices`. */
export function fieldErrorText(code: string | undefined, params: Record<string, unknown> | undefined, message: string): string {
  const g = i18n.global as any
  const sep = g.t('admin.listSep')
  const p: Record<string, unknown> = { ...(params ?? {}) }
  if (Array.isArray(p.expected) && p.choices === undefined) p.choices = p.expected
  for (const [k, v] of Object.entries(p)) if (Array.isArray(v)) p[k] = v.join(sep)
  if (code && g.te(`fe.${code}`)) return g.t(`fe.${code}`, p)
  if (CJK.test(message)) return localText(message)
  return g.locale.value === 'en' ? message : g.t('fe.invalid')
}

/** The fields a request-validation problem names, as its detail. */
/** A field's name in the chosen language (cityloop/domain/field_labels.py, as fieldLabels.json):
 * a nested one (attachments.0.url) by its first part; one the table lacks as it came. */
export function fieldLabel(field: string): string {
  const labels: Record<string, string> = (FIELD_LABELS as any)[i18n.global.locale.value === 'en' ? 'en' : 'zh']
  return labels[field] ?? labels[field.split('.')[0]] ?? field
}

export function fieldsText(fields: string[]): string {
  const g = i18n.global as any
  const names = [...new Set(fields.map(fieldLabel))]
  return names.length ? g.t('fe.fields', { fields: names.join(g.t('admin.listSep')) }) : ''
}
