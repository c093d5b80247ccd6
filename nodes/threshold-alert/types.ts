import type { NodeDef, NodeMessage } from 'node-red';
import type { AlertEvent, AlertLevel, SensorField } from '../shared/contract';

export type Direction = 'above' | 'below';

/** One alert rule, as edited in the node's rule list. */
export interface AlertRule {
  /** alert_type of the events, e.g. voltage_high */
  name: string;
  /** start of the event message, e.g. "High voltage" */
  label: string;
  /** a sensor field of the ESP32 Reading or any metric name of a MetricsReading */
  metric: string;
  direction: Direction;
  warning: number;
  critical: number;
  /** a level clears only once the value is back inside its threshold by this much */
  hysteresis: number;
  /** the condition must hold this long (reading time) before the level is entered; 0 = at once */
  forSeconds: number;
  enabled: boolean;
}

export type RuleOverride = Partial<Pick<AlertRule, 'warning' | 'critical' | 'hysteresis' | 'forSeconds' | 'enabled'>>;
/** One device's overrides, keyed by rule name. */
export type DeviceOverrides = Record<string, RuleOverride>;
/** Overrides of all devices, keyed by device id. */
export type OverrideTable = Map<string, DeviceOverrides>;

/** Per-level timestamps (ms, reading time). */
export type LevelTimes = Partial<Record<AlertLevel, number>>;

/** What an alert's two audiences know: the truth (msg.alerts) and what events announced. */
export interface AlertTrack {
  /** current level, shown on output 2 even while an event is held back by the cooldown */
  level: AlertLevel | null;
  /** level the last raised/escalated event announced; null once cleared or never announced */
  announced: AlertLevel | null;
  /** when each level was last announced, for the cooldown */
  lastSent: LevelTimes;
}

/**
 * What the device's own alerts said about an episode that no reading taken at or after them has
 * confirmed or ended yet. Readings older than `at` cannot lower the level below `level` (the
 * device saw later than they did); without any reading the episode ends on the device's silence.
 */
export interface DeviceMark {
  /** timestamp (reading time, ms) of the device's latest alert of the episode */
  at: number;
  /** highest level the device reported since the last reading that decided */
  level: AlertLevel;
  /** value of the device's latest alert, for the event that ends the episode */
  value: number;
}

export interface RuleState extends AlertTrack {
  /** since when the value has been beyond each level's threshold, for the for-duration */
  pendingSince: LevelTimes;
  device?: DeviceMark;
  /** while the rule has a level: the time of the reading that set it (see nextAlertState) */
  decidedAt?: number;
}

/** An alert type the device raises for which no enabled rule exists: only the device knows it. */
export interface DeviceOnlyState extends AlertTrack {
  device: DeviceMark;
  /** threshold of the device's latest alert */
  threshold: number;
  /** the sensor the device named, if any, kept for the cleared event */
  field?: SensorField;
}

export interface FaultState extends AlertTrack {
  /** since when the sensor has been invalid; null while valid */
  invalidSince: number | null;
}

export interface DeviceState {
  /** latest reading time evaluated; time never runs backwards below it */
  lastTs: number;
  rules: Record<string, RuleState>;
  faults: Partial<Record<SensorField, FaultState>>;
  /** device-raised alert types without an enabled rule, keyed by alert_type */
  deviceOnly: Record<string, DeviceOnlyState>;
}

export interface ThresholdAlertProps {
  /** the editor's rule list; checked by parseRules, so unknown here */
  rules?: unknown;
  /** JSON text: {device id: {rule name: {warning?, critical?, hysteresis?, forSeconds?, enabled?}}} */
  overrides?: string;
  cooldown?: number | string;
  faultAfter?: number | string;
  /** context store for state that survives restarts; blank = the default store */
  store?: string;
  /** seconds: output 2 sends at most one reading message per device this often (the latest); blank or 0 = every one */
  readingsEvery?: number | string;
  /** id of a heatpump-fleet config node every emitted event is reported to; blank = none */
  fleet?: string;
}

export interface ThresholdAlertDef extends NodeDef, ThresholdAlertProps {}

/** Output 1 */
export interface AlertMsg extends NodeMessage {
  topic: string;
  payload: AlertEvent;
}

/**
 * Output 2: the input reading, plus the device's current levels keyed by rule name; for an array of
 * readings, the levels after each of them.
 */
export interface AnnotatedMsg extends NodeMessage {
  alerts: Record<string, AlertLevel> | Array<Record<string, AlertLevel>>;
}
