/**
 * The page's own files, bundled as text into the bin: served from memory, so the board needs
 * no folder on disk, no CDN, and works offline.
 */
import css from "./board.css?raw"
import js from "./board.js?raw"
import html from "./index.html?raw"

export const ASSETS: Readonly<Record<string, { readonly body: string; readonly type: string }>> = {
  "/": { body: html, type: "text/html; charset=utf-8" },
  "/board.js": { body: js, type: "text/javascript; charset=utf-8" },
  "/board.css": { body: css, type: "text/css; charset=utf-8" }
}
