// @ts-check
// The scene: what ui/serve/share.py writes beside index.html (assets/scene-<hash>.json) for one
// model: the latent map's payload (the dashboard's, its file URLs relative to the page), the nets,
// the sliders' order and labels, the digit constants, and both languages' texts.

/**
 * One language's texts: catalogue keys (assets/i18n) and the map's own (ui.components.live's MapTexts).
 * @typedef {object} SceneTexts
 * @property {Record<string, string>} catalogue
 * @property {import("../types.js").MapTexts} map
 * @property {string[]} dims a label per latent dimension ("z3 · 2.41 nats")
 * @property {[string, string][]} groups the map's legend: [name, hex colour] per group
 * @property {string[]} axes the map's axis titles
 */

/**
 * @typedef {object} Scene
 * @property {number} version
 * @property {string} model
 * @property {"mnist" | "celeba"} dataset
 * @property {[number, number, number]} image_shape (C, H, W)
 * @property {string} lang the first language shown
 * @property {string} runtime URL of the folder of tfjs's WebAssembly (the engine runs the big nets there)
 * @property {string} decoder URL of the decoder's net (vae.artifacts.browser_net)
 * @property {string | null} encoder URL of the encoder's net (MNIST: the drawn digit), or null
 * @property {import("../types.js").MapPayload} map the latent map, its faces left out (see faces)
 * @property {string} map_colour what colours the map's points: "label", or "attr:<CelebA attribute>"
 * @property {import("../types.js").MapPayload["faces"]} faces the faces mode's sprite (CelebA), or null
 * @property {{order: number[], active: boolean[], limit: number, top: number}} sliders dimensions by KL, most first
 * @property {import("../digit.js").DigitConstants | null} inputs the digit preparation's constants (MNIST)
 * @property {number} place_k t-SNE placement's neighbours (vae.analysis.placement)
 * @property {{en: SceneTexts, fr: SceneTexts}} texts
 */

/**
 * The scene named by the page's <meta name="vae-scene" content="assets/scene-….json">.
 * @param {Document} doc
 * @returns {Promise<Scene>}
 */
export async function loadScene(doc) {
  const meta = /** @type {HTMLMetaElement | null} */ (doc.querySelector('meta[name="vae-scene"]'));
  if (!meta?.content) throw new Error('no <meta name="vae-scene"> in the page');
  const response = await fetch(new URL(meta.content, doc.baseURI));
  if (!response.ok) throw new Error(`${meta.content}: HTTP ${response.status}`);
  const scene = /** @type {Scene} */ (await response.json());
  if (scene.version !== 1) throw new Error(`scene version ${scene.version}: this page reads version 1`);
  return scene;
}
