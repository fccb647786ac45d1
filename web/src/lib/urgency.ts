// Why an order is urgent, or why a danger word in it was set aside (routing.urgency from the
// intake, cityloop/services/urgency.py): the codes the server sends, in zh-CN and English.

export interface UrgencyRecord {
  level: 'normal' | 'urgent'
  life_safety: boolean
  source: 'operator' | 'category' | 'text' | null
  reason: string | null
  evidence: string | null
}

type Labels = Record<string, [zh: string, en: string]>

const SOURCES: Labels = {
  operator: ['话务员选择', "operator's choice"],
  category: ['分类默认', 'category default'],
  text: ['诉求文本', 'the caller\'s words'],
}

const REASONS: Labels = {
  gas_leak: ['燃气泄漏', 'gas leak'],
  fire: ['火情', 'fire'],
  smoke: ['冒烟', 'smoke'],
  explosion: ['爆炸', 'explosion'],
  electric_spark: ['电器打火', 'electrical sparks'],
  electrocution: ['触电', 'electrocution'],
  live_wire: ['电线裸露或断落', 'exposed or fallen wires'],
  trapped: ['人员被困', 'someone trapped'],
  fall_injury: ['摔倒受伤', 'fallen and hurt'],
  medical: ['急症', 'medical emergency'],
  fall_risk: ['坠落危险', 'about to fall'],
  missing_person: ['人员走失', 'missing person'],
  no_sign_of_life: ['独居者无回应', 'no answer from someone living alone'],
  flood_electric: ['配电设施进水', 'water in an electric room'],
  tree_on_wires: ['树压电线', 'tree on the wires'],
  collapse: ['坍塌', 'collapse'],
  falling_object: ['高空坠物', 'falling objects'],
  lift_fault: ['电梯危险故障', 'dangerous lift fault'],
  drowning: ['落水或洪水', 'drowning or flood'],
  suicide_risk: ['轻生危险', 'suicide risk'],
  poisoning: ['中毒或有毒气体', 'poisoning or toxic fumes'],
  symptoms: ['吸入不适', 'symptoms from fumes'],
  violence: ['人身安全', 'violence'],
  vulnerable_outage: ['停电危及病人', 'outage endangering a patient'],
  manhole_open: ['井盖缺失', 'open manhole'],
  mass_outage: ['大面积停水停电', 'outage for many'],
  main_burst: ['爆管或污水倒灌', 'burst main or sewage flood'],
  road_hazard: ['道路危险', 'road hazard'],
  animal_attack: ['动物伤人', 'animal attack'],
  threat: ['人身威胁（尾随、蹲守）', 'someone followed or watched'],
  cold_home: ['严寒停暖', 'no heating in a freeze'],
  water_source: ['水源污染', 'water source polluted'],
  irritant: ['刺激性气味', 'irritant fumes'],
  food_poisoning: ['食物中毒', 'food poisoning'],
  danger_words: ['危险描述（模型识别）', 'danger in the words (model)'],
  negated: ['已说明没有', 'denied'],
  hypothetical: ['假设或担心', 'feared, not happening'],
  past: ['过去的事', 'in the past'],
  handled: ['已处置', 'already handled'],
  inquiry: ['咨询或演练', 'a question or a drill'],
  consumer: ['商品投诉', 'a product complaint'],
  planned: ['计划停水停电', 'a planned outage'],
}

function pick(labels: Labels, code: string | null, en: boolean): string {
  if (!code) return ''
  const found = labels[code]
  return found ? (en ? found[1] : found[0]) : code
}

/** One line for the dispatcher: who decided, on what, in the caller's own words. */
export function urgencyExplanation(u: UrgencyRecord, en: boolean): string {
  const level = u.life_safety ? (en ? 'Life safety' : '生命安全') : u.level === 'urgent' ? (en ? 'Urgent' : '紧急') : (en ? 'Normal' : '一般')
  const parts = [level]
  if (u.source) parts.push(pick(SOURCES, u.source, en))
  // operator_urgent, category_life_safety: the source already says it.
  if (u.reason && !(u.source && u.reason.startsWith(`${u.source}_`))) parts.push(pick(REASONS, u.reason, en))
  const head = parts.join(' · ')
  return u.evidence ? `${head}：「${u.evidence}」` : head
}
