// @ts-check
// A tab that reconnects to a server which never saw its session must reload (ui/components/reconnect.py).
//
// Streamlit's frontend, on reconnecting, asks for a run only when one was under way at the break; else
// it takes its old session for resumed and sends nothing. A new server (the tab's replica was killed
// and nginx sent it to another one, or the server restarted) then holds an empty session: the page
// still shows the old scene, but a click inside an st.fragment asks for a fragment run whose id that
// session never registered, and the server drops it.
//
// The frontend announces each connection with a window message {type: "WEBSOCKET_CONNECTED"} (its
// host messages are posted to window.parent, the window itself when not embedded, and echoed to the
// window when embedded). The first connection is older than this module, which arrives through it; so
// each announcement seen here is a reconnect, and this component sends a trigger: a full run. A new
// session sees that its first run came with widget values (a first page load sends none), and that run
// only mounts a second instance of this component with data {reload: true}, on which the page reloads:
// a fresh load draws the scene from the URL. In a resumed session the run is one plain rerun.
//
// A v2 component's module runs again on every rerun: the listener is installed once per page
// (window.__vaeResume) and calls the latest run's setTriggerValue.

/**
 * @typedef {object} ResumeState
 * @property {boolean} installed
 * @property {((key: string, value: unknown) => void) | null} trigger  the latest run's setTriggerValue
 * @property {number} reconnects  reconnections seen
 * @property {number | null} disconnectedAt  performance.now() of the frontend's last "disconnected"
 * @property {number | null} askedAt  performance.now() when the last reconnection asked for a run
 * @property {number | null} reloadAt  performance.now() when the server said to reload
 */

/** @type {ResumeState} */
const STATE = /** @type {any} */ (window).__vaeResume ??= {
  installed: false,
  trigger: null,
  reconnects: 0,
  disconnectedAt: null,
  askedAt: null,
  reloadAt: null,
};

/** @param {MessageEvent} event */
function onHostMessage(event) {
  if (event.source !== window || !event.data || typeof event.data !== "object") return;
  if (event.data.type === "WEBSOCKET_DISCONNECTED") {
    STATE.disconnectedAt = performance.now();
  } else if (event.data.type === "WEBSOCKET_CONNECTED" && STATE.trigger) {
    STATE.reconnects += 1;
    STATE.askedAt = performance.now();
    STATE.trigger("reconnected", STATE.reconnects);
  }
}

/**
 * @param {{data: {reload?: boolean} | null | undefined, setTriggerValue: (key: string, value: unknown) => void}} component
 */
export default function (component) {
  const data = component.data ?? {};
  if (data.reload) {
    if (STATE.reloadAt === null) {
      STATE.reloadAt = performance.now();
      window.location.reload();
    }
    return;
  }
  STATE.trigger = component.setTriggerValue;
  if (!STATE.installed) {
    window.addEventListener("message", onHostMessage);
    STATE.installed = true;
  }
}
