/**
 * Turns polled `alarm_status` values into alarm edges (PROTOCOL.md §7.2: cameras push no motion
 * event over the LAN session, so polling get_status is the way). Pure: time is passed in.
 */
export type AlarmKind = 'motion' | 'input' | number;

export type MotionEdge =
  | { readonly type: 'motion'; readonly alarm: AlarmKind; readonly sinceMs: number }
  | { readonly type: 'motion-end'; readonly alarm: AlarmKind; readonly sinceMs: number; readonly durationMs: number };

/** `alarm_status` codes: 0 none, 1 motion detection, 2 the alarm input (I/O); others are passed on as numbers. */
export function alarmKind(code: number): AlarmKind {
  return code === 1 ? 'motion' : code === 2 ? 'input' : code;
}

export class MotionTracker {
  private active: { readonly alarm: AlarmKind; readonly code: number; readonly sinceMs: number } | undefined;

  get alarm(): AlarmKind | undefined {
    return this.active?.alarm;
  }

  /**
   * One poll's `alarm_status` (undefined or not a number: the camera did not say, nothing
   * changes). A change from one alarm to another ends the first and starts the second.
   */
  observe(status: unknown, nowMs: number): MotionEdge[] {
    const code = typeof status === 'number' ? status : typeof status === 'string' ? Number(status) : NaN;
    if (!Number.isInteger(code)) return [];
    const edges: MotionEdge[] = [];
    const active = this.active;
    if (active && active.code !== code) {
      edges.push({
        type: 'motion-end',
        alarm: active.alarm,
        sinceMs: active.sinceMs,
        durationMs: nowMs - active.sinceMs,
      });
      this.active = undefined;
    }
    if (code !== 0 && !this.active) {
      this.active = { alarm: alarmKind(code), code, sinceMs: nowMs };
      edges.push({ type: 'motion', alarm: this.active.alarm, sinceMs: nowMs });
    }
    return edges;
  }
}
