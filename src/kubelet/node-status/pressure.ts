// The eviction manager's hysteresis (pkg/kubelet/eviction: nodeConditionsLastObservedAt, nodeConditionsObservedSince):
// a pressure stays reported until its signal has been below the threshold for the whole transition period
// (evictionPressureTransitionPeriod, 5 min), so that a node does not flap between pressure and none.
import type { PressureSignals } from './types.js';

export const DEFAULT_PRESSURE_TRANSITION_PERIOD_MS = 5 * 60_000;

/** When each signal was last seen past its threshold (ms since epoch). */
export type PressureObservations = Partial<Record<keyof PressureSignals, number>>;

export function observePressure(
  last: PressureObservations,
  observed: PressureSignals,
  now: number,
  periodMs: number,
): { observations: PressureObservations; reported: PressureSignals } {
  const observations: PressureObservations = { ...last };
  const reported: PressureSignals = { memory: false, disk: false, pid: false };
  for (const signal of ['memory', 'disk', 'pid'] as const) {
    if (observed[signal]) observations[signal] = now;
    const at = observations[signal];
    reported[signal] = at !== undefined && now - at < periodMs;
    if (at !== undefined && !reported[signal]) delete observations[signal];
  }
  return { observations, reported };
}
