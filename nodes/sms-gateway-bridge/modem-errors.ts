// +CMS ERROR (3GPP TS 27.005 §3.2.5) classification, shared by the serial modem and the device
// modem over MQTT: which failures are worth another try. Pure.

/** Codes that describe a passing condition (busy SIM, no network, time-out, unknown). */
const TRANSIENT_CMS = new Set([301, 314, 331, 332, 500]);
/** Verbose (AT+CMEE=2) texts of the same conditions. */
const TRANSIENT_TEXT = /sim busy|no network|network timeout|time-?out|unknown error|not ready/i;

export interface CmsError {
  code?: number;
  text: string;
  transient: boolean;
}

/**
 * "+CMS ERROR: 500", "+CMS ERROR: 304 Invalid PDU mode parameter", "+CMS ERROR: invalid input
 * value" (verbose) or a bare "+CMS ERROR:" (seen from clones) -> code, text, transient?
 * A bare or unrecognised error counts as transient: the modem did not say it was our fault.
 */
export function parseCmsError(line: string): CmsError {
  const rest = line.replace(/^\s*\+CM[SE] ERROR:?/i, '').trim();
  const match = /^(\d+)\s*(.*)$/.exec(rest);
  if (match && match[1] !== undefined) {
    const code = Number(match[1]);
    return { code, text: line.trim(), transient: TRANSIENT_CMS.has(code) };
  }
  return { text: line.trim(), transient: rest === '' || TRANSIENT_TEXT.test(rest) };
}
