// Tiny DOM helpers for the webview apps (plain HTML, themed with --vscode-* variables).
import { l10n } from './l10n';

declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
};
export const vscodeApi = acquireVsCodeApi();

type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

/** Text for an HTML attribute or element built as a string (a translated label in an SVG's markup). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Injects the app's bundled CSS under the page's CSP nonce. */
export function injectStyle(css: string): void {
  const style = document.createElement('style');
  const nonce = document.getElementById('app')?.dataset.nonce;
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  document.head.append(style);
}

/** A theme colour as a concrete value (for exported files, which cannot use CSS variables). */
export function themeColour(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** Calls `redraw` when the colour theme changes (VS Code swaps the body's vscode-light / vscode-dark /
 *  vscode-high-contrast class and its --vscode-* variables), so canvases and SVGs never keep old colours. */
export function onThemeChange(redraw: () => void): void {
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      redraw();
    });
  };
  const observer = new MutationObserver(schedule);
  observer.observe(document.body, {
    attributes: true,
    attributeFilter: ['class', 'data-vscode-theme-kind', 'data-vscode-theme-id'],
  });
  // A switch between two themes of the same kind changes only the variables, set on <html>'s style.
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}

/** A horizontal colour-scale legend: `low` to `high` in the given colour (opacity ramp), for every heatmap. */
export function colourLegend(low: string, high: string, colour: string, label: string): HTMLElement {
  const canvas = h('canvas', {
    width: 120,
    height: 10,
    class: 'legend-ramp',
    'aria-hidden': 'true',
  }) as HTMLCanvasElement;
  const ctx = canvas.getContext('2d');
  if (ctx) {
    for (let x = 0; x < 120; x++) {
      ctx.globalAlpha = Math.sqrt(x / 119);
      ctx.fillStyle = colour;
      ctx.fillRect(x, 0, 1, 10);
    }
  }
  return h(
    'div',
    { class: 'legend', role: 'img', 'aria-label': l10n.t('{0}: colour scale from {1} to {2}', label, low, high) },
    h('span', { class: 'muted' }, label),
    h('span', {}, low),
    canvas,
    h('span', {}, high),
  );
}
