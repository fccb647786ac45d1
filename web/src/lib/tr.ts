// A page's own words written side by side in both languages: tr('中文', 'English') gives the
// chosen one (reactive on the language switch), for pages whose texts live nowhere else.
import { useI18n } from 'vue-i18n'

export function useTr(): (zh: string, en: string) => string {
  const { locale } = useI18n()
  return (zh: string, en: string) => (locale.value === 'en' ? en : zh)
}
