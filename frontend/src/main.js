// @ts-check
// The Streamlit v2 component's module (ui/components/live.py loads esbuild's bundle of it): one
// component, three uses chosen by the payload: the latent map (data.map), a drawn digit
// (data.draw), or sliders decoded while dragged. A v2 component's module runs again on every
// rerun: the runtime and the sessions are created once per page (runtime.js) and each run's
// observers and frame loops are torn down by the cleanup function returned here.

import { liveDrawing } from "./drawing.js";
import { latentMap } from "./map/map.js";
import { replayPlayer } from "./replay.js";
import { liveSliders } from "./sliders.js";

/** @typedef {import("./types.js").LivePayload} LivePayload */

/**
 * @param {{data: LivePayload | null, parentElement: HTMLElement, setTriggerValue: (name: string, value: unknown) => void}} component
 * @returns {(() => void) | undefined} the cleanup
 */
export default function (component) {
  const { data } = component;
  if (data && "replay" in data) return replayPlayer({ ...component, data }); // no decoder: frames and curves only
  if (!data?.decoder) return;
  if ("map" in data) return latentMap({ ...component, data });
  if ("draw" in data) return liveDrawing(data);
  return liveSliders(data);
}
