/** The hover tooltip: one fixed-position element, filled with text nodes only. */
import { h, clear } from './dom';

export class Tooltip {
  readonly el = h('div', { className: 'weft-tooltip', attrs: { role: 'tooltip', hidden: true } });

  show(clientX: number, clientY: number, title: string, lines: string[], color: string, estimated: boolean): void {
    clear(this.el);
    const swatch = h('span', { className: `weft-swatch${estimated ? ' estimated' : ''}` });
    if (color) swatch.style.backgroundColor = color;
    this.el.append(h('div', { className: 't' }, [swatch, title]));
    for (const l of lines) if (l) this.el.append(h('div', { className: 'l', text: l }));
    this.el.hidden = false;
    // Keep it inside the window: flip to the left/top of the pointer near the edges.
    const w = this.el.offsetWidth;
    const hgt = this.el.offsetHeight;
    const x = clientX + 14 + w > window.innerWidth ? clientX - 14 - w : clientX + 14;
    const y = clientY + 16 + hgt > window.innerHeight ? clientY - 10 - hgt : clientY + 16;
    this.el.style.left = `${Math.max(2, x)}px`;
    this.el.style.top = `${Math.max(2, y)}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }
}
