/**
 * Control characters other than newline and tab, as `\u001b`: task text (a title, a comment, a
 * git message) must not drive the reader's terminal. In JSON they can only stand inside
 * strings, where this is the same escape JSON.stringify writes for the C0 ones itself.
 * Plain code, importing nothing: the fast path's refusals use it before Effect is loaded.
 */
export const printable = (text: string) =>
  text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
