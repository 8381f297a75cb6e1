// paydesk operator console: draws the overview's charts with uPlot from the figures in each chart's
// data-chart attribute (x: unix seconds; axes; series). Every chart also has a table of the same
// figures under it, so nothing here is needed to read them.
(() => {
  const charts = document.querySelectorAll('[data-chart]');
  if (charts.length === 0 || typeof window.uPlot !== 'function') return;
  const uPlot = window.uPlot;

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const formats = new Map();
  const formatter = (format, compact) => {
    const key = JSON.stringify([format, compact]);
    let f = formats.get(key);
    if (!f) {
      if (format === 'ms') f = (v) => `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en')} ms`;
      else if (format === 'count')
        f = new Intl.NumberFormat('en', compact ? { notation: 'compact', maximumFractionDigits: 1 } : {})
          .format;
      else
        f = new Intl.NumberFormat('en', {
          style: 'currency',
          currency: format.currency,
          ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
        }).format;
      formats.set(key, f);
    }
    return f;
  };
  const dayFormat = new Intl.DateTimeFormat('en', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const minuteFormat = new Intl.DateTimeFormat('en', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
  });
  const xLabel = (spec, ts) =>
    spec.xUnit === 'day' ? dayFormat.format(ts * 1000) : `${minuteFormat.format(ts * 1000)} UTC`;

  /** A tooltip that follows the cursor: the day or minute, then each series' value with its unit. */
  function tooltip(spec) {
    let tip;
    return {
      hooks: {
        init: (u) => {
          tip = document.createElement('div');
          tip.className = 'chart-tip';
          tip.hidden = true;
          tip.setAttribute('role', 'status');
          u.over.appendChild(tip);
          u.over.addEventListener('mouseleave', () => {
            tip.hidden = true;
          });
        },
        setCursor: (u) => {
          const i = u.cursor.idx;
          if (i === null || i === undefined || u.cursor.left < 0) {
            tip.hidden = true;
            return;
          }
          tip.replaceChildren();
          const head = document.createElement('strong');
          head.textContent = xLabel(spec, u.data[0][i]);
          tip.appendChild(head);
          spec.series.forEach((s, k) => {
            const v = u.data[k + 1][i];
            const row = document.createElement('div');
            const swatch = document.createElement('span');
            swatch.className = `swatch c${s.color}`;
            row.appendChild(swatch);
            const format = spec.axes[s.axis].format;
            row.appendChild(
              document.createTextNode(
                `${s.label}: ${v === null || v === undefined ? '—' : formatter(format, false)(v)}`,
              ),
            );
            tip.appendChild(row);
          });
          tip.hidden = false;
          const width = u.over.clientWidth;
          const left =
            u.cursor.left + 12 + tip.offsetWidth > width
              ? u.cursor.left - 12 - tip.offsetWidth
              : u.cursor.left + 12;
          tip.style.transform = `translate(${Math.max(0, left)}px, ${Math.max(0, u.cursor.top - tip.offsetHeight - 8)}px)`;
        },
      },
    };
  }

  function draw(el) {
    const spec = JSON.parse(el.dataset.chart);
    const text = css('--muted') || '#545b66';
    const grid = css('--border') || '#d5d9e0';
    const bars = spec.series.filter((s) => s.kind === 'bar');
    const step = spec.xUnit === 'day' ? 86400 : 60;
    const width = Math.max(260, el.clientWidth);
    const phone = width < 520;
    const axis = (a, side) => ({
      scale: side === 0 ? 'y' : 'y2',
      side: side === 0 ? 3 : 1,
      label: phone ? undefined : a.label,
      labelSize: 18,
      labelFont: '12px system-ui, sans-serif',
      font: '12px system-ui, sans-serif',
      stroke: text,
      size: phone ? 48 : 64,
      grid: { show: side === 0, stroke: grid, width: 1 },
      ticks: { show: false },
      values: (u, ticks) => ticks.map((v) => formatter(a.format, true)(v)),
    });
    const series = spec.series.map((s) => {
      const color = css(`--chart-${s.color}`) || '#1a5fd0';
      const k = bars.indexOf(s);
      return {
        label: s.label,
        scale: s.axis === 0 ? 'y' : 'y2',
        stroke: color,
        width: s.kind === 'bar' ? 0 : 2,
        fill: s.kind === 'bar' ? color : undefined,
        spanGaps: false,
        points: { show: s.kind === 'line' && spec.x.length <= 31, size: 5, fill: color },
        paths:
          s.kind === 'bar'
            ? uPlot.paths.bars({
                size: [bars.length > 1 ? 0.4 : 0.7, 48],
                align: bars.length > 1 ? (k === 0 ? -1 : 1) : 0,
              })
            : undefined,
        value: (u, v) =>
          v === null || v === undefined ? '—' : formatter(spec.axes[s.axis].format, false)(v),
      };
    });
    const opts = {
      width,
      height: phone ? 220 : 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      padding: [12, 8, 0, 0],
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      legend: { live: false },
      scales: {
        x: { time: true, range: (u, min, max) => [min - step / 2, max + step / 2] },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
        y2: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] },
      },
      axes: [
        {
          stroke: text,
          font: '12px system-ui, sans-serif',
          grid: { show: false },
          ticks: { stroke: grid, size: 4 },
          space: phone ? 60 : 80,
          values: spec.xUnit === 'day' ? '{MMM} {D}' : '{HH}:{mm}',
        },
        ...spec.axes.map((a, i) => axis(a, i)),
      ],
      series: [{ value: (u, v) => xLabel(spec, v) }, ...series],
      plugins: [tooltip(spec)],
    };
    const data = [spec.x, ...spec.series.map((s) => s.values)];
    el.replaceChildren();
    return new uPlot(opts, data, el);
  }

  const plots = new Map();
  const widths = new Map();
  const redraw = (el) => {
    plots.get(el)?.destroy();
    widths.set(el, el.clientWidth);
    plots.set(el, draw(el));
  };
  for (const el of charts) redraw(el);
  // Redrawn at once to a new width (phones turning, windows resizing; the phone layout has smaller
  // axes) and in the new colours when the colour scheme changes.
  const resized = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const el = entry.target;
      if (Math.abs(el.clientWidth - (widths.get(el) ?? 0)) >= 2) redraw(el);
    }
  });
  for (const el of charts) resized.observe(el);
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    for (const el of charts) redraw(el);
  });
})();
