/**
 * Colours for canvas drawing, read from CSS variables so that every VS Code theme (and high
 * contrast) applies. styles.css maps each `--weft-*` variable to a `--vscode-*` one with a
 * fallback for the HTML report, where no VS Code variables exist.
 */
import { STATE_COUNT, STATE_INFO, SegmentState } from '../../runtime/src/view/view-data';

export interface Theme {
  /** Fill of each SegmentState, by value. */
  state: string[];
  /** Fill for OFF_CPU_ESTIMATE: hatched, so that "estimated" is visible without a legend. */
  offCpuPattern: CanvasPattern | string;
  background: string;
  /** Process header rows: painted on the canvas so that arrows between processes cross them. */
  panel: string;
  laneStripe: string;
  foreground: string;
  muted: string;
  grid: string;
  selection: string;
  highlight: string;
  arrow: string;
  /** Outline drawn around slices in high-contrast themes (empty: none). */
  contrastBorder: string;
  highContrast: boolean;
  font: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readTheme(ctx: CanvasRenderingContext2D): Theme {
  const style = getComputedStyle(document.body);
  const state: string[] = [];
  for (let s = 0; s < STATE_COUNT; s++) {
    const key = STATE_INFO[s]?.key ?? 'running';
    state.push(cssVar(style, `--weft-state-${key}`, '#888'));
  }
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const background = cssVar(style, '--weft-bg', '#1e1e1e');
  return {
    state,
    offCpuPattern: hatch(ctx, state[SegmentState.OFF_CPU_ESTIMATE] as string, background),
    background,
    panel: cssVar(style, '--weft-panel-bg', '#252526'),
    laneStripe: cssVar(style, '--weft-lane-stripe', 'rgba(128,128,128,0.06)'),
    foreground: cssVar(style, '--weft-fg', '#ccc'),
    muted: cssVar(style, '--weft-muted', '#999'),
    grid: cssVar(style, '--weft-grid', 'rgba(128,128,128,0.18)'),
    selection: cssVar(style, '--weft-selection', '#0078d4'),
    highlight: cssVar(style, '--weft-highlight', '#ffcc00'),
    arrow: cssVar(style, '--weft-arrow', '#e0e0e0'),
    contrastBorder: highContrast ? cssVar(style, '--weft-contrast-border', '#6fc3df') : '',
    highContrast,
    font: `${cssVar(style, '--weft-font-size', '12px')} ${cssVar(style, '--weft-font-family', 'sans-serif')}`,
  };
}

/** Diagonal stripes of `color` on `bg`, 6 device px apart. */
function hatch(ctx: CanvasRenderingContext2D, color: string, bg: string): CanvasPattern | string {
  const c = document.createElement('canvas');
  c.width = 6;
  c.height = 6;
  const g = c.getContext('2d');
  if (!g) return color;
  g.fillStyle = bg;
  g.fillRect(0, 0, 6, 6);
  g.globalAlpha = 0.35;
  g.fillStyle = color;
  g.fillRect(0, 0, 6, 6);
  g.globalAlpha = 1;
  g.strokeStyle = color;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(-1, 7);
  g.lineTo(7, -1);
  g.moveTo(5, 7);
  g.lineTo(7, 5);
  g.moveTo(-1, 1);
  g.lineTo(1, -1);
  g.stroke();
  return ctx.createPattern(c, 'repeat') ?? color;
}
