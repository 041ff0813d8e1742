// User text (a model's `name`, file names, messages that quote a value) on its way to a terminal,
// an output channel or a notification: control characters and escape sequences are removed, so a
// name cannot retitle the terminal, clear the screen or reorder text with bidi overrides, and a
// long value is cut. Pure: the CLI and the extension use the same rule.

/** ESC-introduced sequences (CSI, OSC with BEL or ST, and two-byte escapes). */
// eslint-disable-next-line no-control-regex -- matching control characters is this rule's whole job
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
/** C0 and C1 controls except tab and newline, DEL, and the bidi embedding/override/isolate marks. */
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function plainText(text: string, maxLength = 2000): string {
  const clean = String(text).replace(ESCAPES, '').replace(CONTROLS, '');
  return clean.length > maxLength ? `${clean.slice(0, maxLength - 1)}…` : clean;
}
