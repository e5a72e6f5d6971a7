/**
 * A tiny element builder. Text from the trace (thread names, file paths, argv) is set with
 * `textContent` only, never parsed as HTML: the traced program chooses those strings. Styles
 * are set through the CSSOM (`el.style.x`), which a strict Content-Security-Policy allows,
 * unlike inline `style` attributes.
 */

export type Child = Node | string | null | undefined | false;

export interface Props {
  className?: string;
  text?: string;
  title?: string;
  /** data-* attributes (keys without the "data-" prefix, camelCase allowed). */
  data?: Record<string, string | number>;
  /** Other attributes (role, aria-*, type, tabindex...). Never "style". */
  attrs?: Record<string, string | number | boolean>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (ev: HTMLElementEventMap[K]) => void }>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, children: Child[] = []): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title) el.title = props.title;
  if (props.data) for (const [k, v] of Object.entries(props.data)) el.dataset[k] = String(v);
  if (props.attrs) {
    for (const [k, v] of Object.entries(props.attrs)) {
      if (k === 'style') throw new Error('set styles through the CSSOM, not the style attribute');
      if (v === false) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  if (props.on) {
    for (const [k, fn] of Object.entries(props.on)) el.addEventListener(k, fn as EventListener);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}
