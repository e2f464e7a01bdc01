// @ts-check
// The edition's texts: both languages travel in the scene (ui/serve/share.py writes them from the
// dashboard's catalogues, assets/i18n), one is shown and a switch swaps them. Pure functions.

/** @typedef {import("./scene.js").Scene} Scene */

/** The languages a scene carries, in the switch's order. */
export const LANGUAGES = /** @type {const} */ (["en", "fr"]);

/** @param {string} lang @returns {"en" | "fr"} */
export const otherLanguage = (lang) => (lang === "fr" ? "en" : "fr");

/**
 * A number the language's way, with a fixed count of decimals ("0.50" / "0,50").
 * @param {number} value
 * @param {number} digits
 * @param {string} lang
 */
export function formatNumber(value, digits, lang) {
  return new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/**
 * A catalogue text with its {name} and {name:.2f} fields filled, numbers the language's way.
 * @param {string} template
 * @param {Record<string, string | number>} values
 * @param {string} lang
 */
export function fill(template, values, lang) {
  return template.replace(/\{(\w+)(?::\.(\d+)f)?\}/g, (whole, name, digits) => {
    if (!(name in values)) return whole;
    const v = values[name];
    return typeof v === "number" && digits !== undefined ? formatNumber(v, Number(digits), lang) : String(v);
  });
}

/**
 * The text of `key` in `lang`, English as the fallback, then the key itself (ui.shell.i18n.say's rule).
 * @param {Scene["texts"]} texts
 * @param {string} lang
 * @param {string} key
 * @param {Record<string, string | number>} [values]
 */
export function say(texts, lang, key, values) {
  const own = texts[/** @type {"en" | "fr"} */ (lang)]?.catalogue[key];
  const text = own ?? texts.en?.catalogue[key] ?? key;
  return values ? fill(text, values, lang) : text;
}

/**
 * The first language shown: ?lang= in the address when it is one the scene has, else the scene's.
 * @param {string} search location.search
 * @param {string} fallback
 * @returns {"en" | "fr"}
 */
export function firstLanguage(search, fallback) {
  const asked = new URLSearchParams(search).get("lang");
  const lang = asked ?? fallback;
  return lang === "fr" ? "fr" : "en";
}
