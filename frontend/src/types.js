// @ts-check
// The payload ui/components/live.py sends: one typed contract, the twin of the TypedDicts there
// (LivePayload and the ones it names). Constants cross here, never typed twice.

/**
 * What every use carries.
 * @typedef {object} Common
 * @property {string} runtime URL of static/tfjs/ (the browser engine's WebAssembly kernels)
 * @property {string} decoder URL of the model's decoder net (vae/artifacts/browser_net.py's JSON)
 * @property {string} model the model's name
 * @property {[number, number, number]} image_shape (C, H, W)
 */

/**
 * Latent sliders, face-attribute sliders, the interpolation scrubber.
 * @typedef {object} SlidersFields
 * @property {number[]} code the code drawn, before the sliders
 * @property {[string, number][]} sliders [widget key, dimension]
 * @property {[string, number[]][]} directions [widget key, vector]
 * @property {[string, number[], number[], string] | null} path [widget key, a, b, method]
 * @property {string} target the key of the element whose picture is drawn over
 */
/** @typedef {Common & SlidersFields} SlidersPayload */

/**
 * A drawn digit encoded after each stroke.
 * @typedef {object} DrawPayload
 * @property {string} canvas
 * @property {string} map
 * @property {string} encoder URL of the model's encoder net (its JSON)
 * @property {string} projection
 * @property {number[]} pca_mean
 * @property {number[][]} pca_components
 * @property {number} k
 * @property {string | null} coords
 * @property {string | null} codes
 * @property {import("./digit.js").DigitConstants} inputs
 */
/** @typedef {Common & {draw: DrawPayload}} DrawingPayload */

/**
 * The map's style: ui.components.figures' constants, shared with the plotly map.
 * @typedef {object} MapStyle
 * @property {number} point_px a test point's diameter, CSS px
 * @property {number} pin_px the pin's size, CSS px
 * @property {number} opacity a test point's opacity
 */

/**
 * @typedef {object} MapTexts
 * @property {string} hint
 * @property {string} map
 * @property {string} latent
 * @property {string} far_short
 * @property {string} blend what a map with no inverse decodes ("{k}": the blend's k)
 * @property {string} [box] the box brush's button (a map that brushes)
 * @property {string} [lasso] the lasso brush's button
 * @property {string} legend
 * @property {string} zoom_in
 * @property {string} zoom_out
 * @property {string} reset
 * @property {string} decimal the language's decimal mark ("." or ","), for the numbers the map writes
 */

/**
 * The latent map.
 * @typedef {object} MapPayload
 * @property {string} projection "raw" | "pca" | "tsne" | "umap" | "axes:<x axis>|<y axis>"
 * @property {string} coords URL of the (N, 2) float32 map coordinates
 * @property {string} codes URL of the (N, D) float32 codes
 * @property {string} colours URL of the (N, 4) bytes: R, G, B, group
 * @property {[string, string][]} groups [name, hex colour] per group
 * @property {{lo: string, hi: string, stops: string[], title: string} | null} scale
 * @property {[[number, number], [number, number]]} extent
 * @property {boolean} equal
 * @property {boolean} circles
 * @property {number} height
 * @property {number} dim
 * @property {number} k
 * @property {number[]} pca_mean
 * @property {number[][]} pca_components
 * @property {number} map_spacing
 * @property {number} latent_spacing
 * @property {number} far
 * @property {{url: string, side: number, source: string} | null} faces
 * @property {string[]} axes
 * @property {[number, number, number | null] | null} pin
 * @property {{name: string, colour: string, points: number[], marker?: string}[]} overlays sample overlays (✕), a drawn digit's place (marker "star"), brushed test images (marker "ring")
 * @property {MapTexts} texts
 * @property {MapStyle} style
 * @property {string} [slot] which map of the page this is (two linked maps: "a", "b"); default "map"
 * @property {boolean} [brush] the box and lasso brushes are offered (a drag draws a region, sent as "brush")
 * @property {number[][] | null} [brushed] the region brushed on this map (map units), outlined
 * @property {string} [decode] "affine": decode z = pca_mean + xy · pca_components whatever the projection (an aligned map)
 */
/** @typedef {Common & {map: MapPayload}} LatentMapPayload */

/**
 * A training replay (vae/training/replay.py): the test map after every epoch, and the card's curves.
 * @typedef {object} ReplayFields
 * @property {string} frames URL of the (E, P, 2) float16 frames
 * @property {number} epochs E
 * @property {number} points P
 * @property {number} start the epoch shown first (1-based)
 * @property {number[]} group_of each point's group
 * @property {[string, string][]} groups [name, colour]
 * @property {[[number, number], [number, number]]} extent the map's fixed extent over every frame
 * @property {{train_recon: number[], test_recon: number[], train_kl: number[], test_kl: number[]}} curves per epoch, nats per image
 * @property {number} height the map's side, CSS px
 * @property {{play: string, pause: string, back: string, forward: string, scrub: string, epoch: string, recon: string, kl: string, unit: string, train: string, test: string, axes: string, decimal: string}} texts
 */
/** @typedef {{model: string, replay: ReplayFields}} ReplayPayload */

/** @typedef {SlidersPayload | DrawingPayload | LatentMapPayload | ReplayPayload} LivePayload */

export {};
