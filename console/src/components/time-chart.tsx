// A small time-series chart (uPlot) of the last minutes.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** the x axis always shows the last 5 minutes, ending at the newest sample */
function showWindow(p: uPlot, times: number[]): void {
  const end = times.length ? times[times.length - 1]! : Date.now() / 1000;
  p.setScale('x', { min: end - 300, max: end });
}

function clock(t: number): string {
  return new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export interface Series { label: string; color: string; values: number[] }

export function TimeChart({ title, times, series, testId }: { title: string; times: number[]; series: Series[]; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('|');
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      title,
      width: Math.max(200, el.clientWidth),
      height: 150,
      legend: { show: true, live: false },
      // always the last 5 minutes, so one sample does not stretch the axis over years
      scales: { x: { time: true, auto: false }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max((max ?? 0) * 1.1, 1)] } },
      axes: [{ space: 70, values: (_u, splits) => splits.map(clock) }, { size: 50 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5 }))],
    };
    const p = new uPlot(opts, [times, ...series.map((s) => s.values)], el);
    plot.current = p;
    showWindow(p, times);
    const ro = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height: 150 }));
    ro.observe(el);
    return () => { ro.disconnect(); p.destroy(); plot.current = null; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [title, labels]);
  useEffect(() => {
    const p = plot.current;
    if (!p) return;
    p.setData([times, ...series.map((s) => s.values)], false);
    showWindow(p, times);
  }, [times, series]);
  return <div ref={box} data-testid={testId} style={{ width: '100%', minWidth: 0 }} />;
}
