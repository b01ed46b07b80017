/**
 * The gate's states. `grace` keeps polling for a while after the last viewer left, so a
 * page reload (leave + come back within seconds) does not stop and restart the poller.
 */
export type GateState = { kind: 'idle' } | { kind: 'open' } | { kind: 'grace'; until: number };

/** What the poll controller should do after a transition. */
export interface GateStep {
  state: GateState;
  /** The gate just opened from idle: poll now if the snapshot is stale. */
  opened: boolean;
  /** The gate just closed: stop polling. */
  closed: boolean;
}

/**
 * Pure transition of the demand gate: `demand` is whether anyone watches now.
 * open → grace when demand ends; grace → open when it returns; grace → idle once
 * `now` reaches the grace deadline; idle → open when demand starts.
 */
export function stepGate(state: GateState, demand: boolean, now: number, graceMs: number): GateStep {
  if (demand) {
    return { state: { kind: 'open' }, opened: state.kind === 'idle', closed: false };
  }
  switch (state.kind) {
    case 'open':
      if (graceMs <= 0) return { state: { kind: 'idle' }, opened: false, closed: true };
      return { state: { kind: 'grace', until: now + graceMs }, opened: false, closed: false };
    case 'grace':
      if (now >= state.until) return { state: { kind: 'idle' }, opened: false, closed: true };
      return { state, opened: false, closed: false };
    case 'idle':
      return { state, opened: false, closed: false };
  }
}

/** True while the gate lets the poller run. */
export function isPolling(state: GateState): boolean {
  return state.kind !== 'idle';
}
