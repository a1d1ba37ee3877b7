// i18next with English and Chinese: the saved choice, else the browser's language. A key missing from the
// current language is reported (window.__missingKeys and console.error) so the tests catch it.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { zh } from './zh';

const LANG_KEY = 'srs-node.lang';

export function initialLanguage(): 'en' | 'zh' {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function setLanguage(l: 'en' | 'zh'): void {
  localStorage.setItem(LANG_KEY, l);
  void i18n.changeLanguage(l);
  document.documentElement.lang = l;
}

declare global {
  interface Window { __missingKeys?: string[] }
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, zh: { translation: zh } },
  lng: initialLanguage(),
  fallbackLng: false,
  interpolation: { escapeValue: false },
  saveMissing: true,
  missingKeyHandler: (lngs, _ns, key) => {
    (window.__missingKeys ??= []).push(`${lngs.join(',')}:${key}`);
    console.error(`missing translation: ${key} (${lngs.join(',')})`);
  },
});
document.documentElement.lang = i18n.language;

export default i18n;
