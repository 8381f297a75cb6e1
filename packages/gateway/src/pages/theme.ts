// The brand colour from configuration, turned into the CSS variables the stylesheet reads, with
// text colours chosen so that every pairing keeps WCAG AA contrast (4.5:1) in light and dark mode.

type Rgb = readonly [number, number, number];

function parse(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(parse(a)), luminance(parse(b))].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** The colour moved toward `toward` just far enough to reach `ratio` against `background`. */
function readableOn(color: string, background: string, toward: string, ratio = 4.6): string {
  for (let t = 0; t <= 1.0001; t += 0.05) {
    const candidate = toHex(mix(parse(color), parse(toward), t));
    if (contrast(candidate, background) >= ratio) return candidate;
  }
  return toward;
}

export const LIGHT_BG = '#ffffff';
export const DARK_BG = '#111318';

export interface Theme {
  brand: string;
  /** Text on a brand-coloured button. */
  onBrand: string;
  /** Links and accents on the light background. */
  accentLight: string;
  /** Links and accents on the dark background. */
  accentDark: string;
}

export function themeFor(brandColor: string): Theme {
  // The button: the brand colour itself, darkened only if neither white nor black text reads on it.
  let brand = brandColor;
  if (contrast(brand, '#ffffff') < 4.5 && contrast(brand, '#000000') < 4.5) {
    brand = readableOn(brand, '#ffffff', '#000000');
  }
  const onBrand = contrast(brand, '#ffffff') >= contrast(brand, '#111111') ? '#ffffff' : '#111111';
  return {
    brand,
    onBrand,
    accentLight: readableOn(brandColor, LIGHT_BG, '#000000'),
    accentDark: readableOn(brandColor, DARK_BG, '#ffffff'),
  };
}

/** The :root rules the stylesheet is served with. */
export function themeCss(t: Theme): string {
  return (
    `:root{--brand:${t.brand};--on-brand:${t.onBrand};--accent:${t.accentLight}}` +
    `@media (prefers-color-scheme:dark){:root{--accent:${t.accentDark}}}\n`
  );
}
