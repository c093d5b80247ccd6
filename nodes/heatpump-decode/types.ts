// Config, options and result types of heatpump-decode.
import type { NodeDef, NodeMessage } from 'node-red';
import type { AlertEvent, InfluxPoint, MetricsReading, Reading, SensorField } from '../shared/contract';

/**
 * reading: one message per reading; readings: one message per input message, its readings as an
 * array; gathered: one message for the input messages that arrive together (one turn of the event
 * loop), their readings as an array; points: InfluxDB points
 */
export type OutputMode = 'reading' | 'readings' | 'gathered' | 'points';

export interface Range {
  min: number;
  max: number;
}

export type Ranges = Record<SensorField, Range>;

/** What the editor stores. Every property may be missing (a node with an empty config works). */
export interface HeatpumpDecodeProps {
  output?: string;
  /** payload size limit in bytes, as text or number */
  maxBytes?: string | number;
  /** per-field overrides of the plausible ranges; missing fields keep the defaults */
  ranges?: Partial<Record<string, Partial<Record<'min' | 'max', string | number>>>>;
  /** seconds between two readings of a device: spaces the readings of a batch without usable timestamps */
  sampleInterval?: string | number;
  /** id of the heatpump-fleet config node to report into; empty: none */
  fleet?: string;
}

export interface HeatpumpDecodeDef extends NodeDef, HeatpumpDecodeProps {}

export interface DecodeOptions {
  ranges: Ranges;
  /** payloads (string or Buffer) larger than this many bytes are rejected unparsed */
  maxBytes: number;
  /** ms between two readings of a device (the firmware samples every 10 s) */
  sampleIntervalMs: number;
}

/** Why a field was left out of a reading (msg.invalidReasons). */
export type InvalidReason = 'flagged' | 'derived' | 'out_of_range' | 'not_a_number' | 'not_boolean' | 'bad_valid_flag';

/** Why a field was left out although the device did not flag it: a warning, the reading still goes out. */
export type FieldProblemCode = 'not-a-number' | 'not-boolean' | 'bad-valid-flag' | 'out-of-range';

/** A message- or item-level rejection. */
export type ProblemCode =
  | 'not-json'
  | 'too-large'
  | 'bad-payload'
  | 'empty-array'
  | 'bad-topic'
  | 'topic-device'
  | 'not-object'
  | 'device-missing'
  | 'device-mismatch'
  | 'device-id'
  | 'wrong-type'
  | 'alert-type'
  | 'alert-level'
  | 'alert-message'
  | 'bad-metrics';

/**
 * Something rejected in an input message: the whole message, or one reading/alert (item).
 * Problems of single fields are FieldProblems of their reading, not Problems.
 */
export interface Problem {
  code: ProblemCode;
  scope: 'message' | 'item';
  /** element index when the payload was an array */
  index?: number;
  device?: string;
  field?: string;
  /** values for the i18n text of `heatpump-decode.errors.<code>` */
  params: Record<string, string | number>;
}

/** One field left out of a reading that still goes out (not for fields the device flagged invalid). */
export interface FieldProblem {
  code: FieldProblemCode;
  field: string;
  /** values for the i18n text of `heatpump-decode.leftOut.<code>` */
  params: Record<string, string | number>;
}

/**
 * timestamp-replaced: one item of a single-item message; timestamps-shifted / timestamps-spaced:
 * one warning per batch (not one per element) for the items whose time was placed.
 */
export type WarningCode = 'timestamp-replaced' | 'timestamps-shifted' | 'timestamps-spaced' | 'overflow';

export interface Warning {
  code: WarningCode;
  index?: number;
  device: string;
  params: Record<string, string | number>;
}

export interface DecodedReading {
  reading: Reading;
  /** sensor fields left out: flagged invalid by the device or rejected here */
  invalid: string[];
  /** why each field in `invalid` was left out; undefined when `invalid` is empty */
  invalidReasons: Record<string, InvalidReason> | undefined;
  /** the fields left out for a reason other than the device's valid:false (warnings) */
  fieldProblems: readonly FieldProblem[];
  timestampReplaced: boolean;
}

export interface DecodedAlert {
  alert: AlertEvent;
  timestampReplaced: boolean;
}

/** A metrics reading of heatpump/{id}/metrics, checked (metricsReadingProblem) and with implausible metrics left out. */
export interface DecodedMetrics {
  reading: MetricsReading;
  /** metrics left out because their value is outside the plausible range */
  fieldProblems: readonly FieldProblem[];
  timestampReplaced: boolean;
}

export interface DecodeResult {
  /** the device id of the topic, when the topic was heatpump/{id}/... */
  topicDevice: string | undefined;
  /** true when the payload was an array (problems then carry an index) */
  batch: boolean;
  readings: DecodedReading[];
  alerts: DecodedAlert[];
  metrics: DecodedMetrics[];
  problems: Problem[];
  warnings: Warning[];
}

export interface ReadingMsg extends NodeMessage {
  payload: Reading;
  topic: string;
  invalid: string[];
  invalidReasons?: Record<string, InvalidReason>;
  timestampReplaced?: true;
}

/** Readings mode, output 1: every reading and metrics reading of one input message, in order. */
export interface ReadingsMsg extends NodeMessage {
  payload: Array<Reading | MetricsReading>;
  topic?: string;
  /** per element of payload: its sensor fields left out ([] for metrics readings) */
  invalid: string[][];
  /** per element of payload: why its fields were left out, null when none were */
  invalidReasons: Array<Record<string, InvalidReason> | null>;
}

export interface MetricsMsg extends NodeMessage {
  payload: MetricsReading;
  topic: string;
  timestampReplaced?: true;
}

export interface AlertMsg extends NodeMessage {
  payload: AlertEvent;
  topic: string;
  timestampReplaced?: true;
}

/**
 * Output 3: a device was heard from (a valid reading, metrics reading or alert of it), for
 * online-tracker. Small on purpose: Node-RED copies a message for every extra wire, and presence
 * needs no readings.
 */
export interface PresenceMsg extends NodeMessage {
  topic: string;
  payload: { device_id: string };
}

export interface PointsMsg extends NodeMessage {
  payload: InfluxPoint[];
  topic?: string;
}
