/** A few stroke icons (24×24, currentColor) built as DOM nodes: no icon font, no emoji-font dependency. */

const P = {
  doc: ['M6 3h9l4 4v13a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1z', 'M14 3v5h5', 'M8.5 12h7', 'M8.5 16h7'],
  cart: ['M3 4h2.5l2 11h10.5l2-8H7', 'M9 20a1 1 0 1 0 0-2a1 1 0 1 0 0 2z', 'M17 20a1 1 0 1 0 0-2a1 1 0 1 0 0 2z'],
  tag: ['M3 12V4a1 1 0 0 1 1-1h8l9 9l-9 9z', 'M8 8h.01'],
  people: ['M9 11a4 4 0 1 0 0-8a4 4 0 1 0 0 8z', 'M2 21v-1a6 6 0 0 1 12 0v1', 'M16 3.5a4 4 0 0 1 0 7.5', 'M19 21v-1a6 6 0 0 0-3-5.2'],
  store: ['M3 9l1.5-5h15L21 9', 'M3 9h18v2a3 3 0 0 1-6 0a3 3 0 0 1-6 0a3 3 0 0 1-6 0z', 'M5 13v8h14v-8', 'M10 21v-5h4v5'],
  user: ['M12 12a4.5 4.5 0 1 0 0-9a4.5 4.5 0 1 0 0 9z', 'M4 21a8 8 0 0 1 16 0'],
  search: ['M10.5 4a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z', 'M15.5 15.5L21 21'],
  receive: ['M12 3v11', 'M7.5 9.5L12 14l4.5-4.5', 'M3 14v5a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2v-5'],
  ship: ['M3 7.5L12 3l9 4.5v9L12 21l-9-4.5z', 'M3 7.5L12 12l9-4.5', 'M12 12v9'],
  count: ['M9 4h6v3H9z', 'M9 5.5H6a1 1 0 0 0-1 1V20a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V6.5a1 1 0 0 0-1-1h-3', 'M8.5 12.5l2 2l4-4', 'M8.5 17.5h7'],
  transfer: ['M4 8h14', 'M14 4l4 4l-4 4', 'M20 16H6', 'M10 12l-4 4l4 4'],
  truck: ['M2 6h11v10H2z', 'M13 9h4l3 3.5V16h-7', 'M6 18.5a1.5 1.5 0 1 0 0-.01', 'M17 18.5a1.5 1.5 0 1 0 0-.01'],
  adjust: ['M4 7h10', 'M18 7h2', 'M16 5v4', 'M4 17h4', 'M12 17h8', 'M10 15v4'],
  approve: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M8 12.5l3 3l5-6'],
  sync: ['M20 11a8 8 0 0 0-14.3-4.9', 'M4 4v4h4', 'M4 13a8 8 0 0 0 14.3 4.9', 'M20 20v-4h-4'],
  settings: ['M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6z', 'M12 2v3', 'M12 19v3', 'M2 12h3', 'M19 12h3', 'M4.9 4.9l2.1 2.1', 'M17 17l2.1 2.1', 'M4.9 19.1L7 17', 'M17 7l2.1-2.1'],
  chart: ['M4 20h16', 'M6 16v-5', 'M11 16V6', 'M16 16v-8'],
  camera: ['M4 8h3l2-3h6l2 3h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V9a1 1 0 0 1 1-1z', 'M12 10a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7z'],
  photo: ['M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z', 'M3 16l5-5l4 4l3-3l6 6', 'M15.5 8.5a1 1 0 1 0 0 .01'],
};

const NS = 'http://www.w3.org/2000/svg';

/** An inline SVG icon (aria-hidden; put the accessible name on the button/link). */
export function icon(name, size = 28) {
  const svg = document.createElementNS(NS, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor',
    'stroke-width': '1.8', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', class: `icon icon-${name}` })) {
    svg.setAttribute(k, String(v));
  }
  for (const d of P[name] || []) {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}
