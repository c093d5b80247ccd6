// Change log entries as markers on a Dashboard 2.0 ui-chart (the "answer as" option `markers` of
// heatpump-changelog): ECharts options for `msg.ui_update.chartOptions`, one vertical markLine per
// entry labelled with its setting's name, on a series of its own so the chart's data series stay
// untouched and the legend can hide them. Pure.
import type { ChangelogEntry } from '../heatpump-database/records';

/** The id and legend name of the series that carries the markers. */
export const MARKER_SERIES = 'changes';
const MARKER_COLOR = '#8D6E63';
const MAX_NOTE_LABEL = 30;

export interface ChartMarker {
  name: string;
  /** ms since the epoch, on the chart's time axis */
  xAxis: number;
}

export interface MarkerChartOptions {
  series: [
    {
      id: string;
      name: string;
      type: 'line';
      data: [];
      color: string;
      markLine: {
        silent: boolean;
        symbol: ['none', 'none'];
        animation: boolean;
        lineStyle: { type: 'dashed'; width: number; color: string };
        label: { show: boolean; position: 'insideEndTop'; formatter: string; color: string };
        data: ChartMarker[];
      };
    },
  ];
}

/** The label of an entry's marker: the setting's name, or a note's beginning. */
export function markerLabel(entry: ChangelogEntry): string {
  if (entry.kind === 'setting') return entry.setting ?? '';
  const text = entry.text ?? '';
  return `note: ${text.length > MAX_NOTE_LABEL ? `${text.slice(0, MAX_NOTE_LABEL - 1)}…` : text}`;
}

/** A marker per entry, oldest first; entries without a readable time are left out. */
export function chartMarkers(entries: readonly ChangelogEntry[]): ChartMarker[] {
  return entries
    .map((entry) => ({ name: markerLabel(entry), xAxis: Date.parse(entry.time) }))
    .filter((marker) => Number.isFinite(marker.xAxis))
    .sort((a, b) => a.xAxis - b.xAxis);
}

/**
 * The chart options for the entries. An empty list still answers the series with no markers, so a
 * device or range without changes clears the markers of the previous one (ECharts replaces arrays).
 */
export function markerChartOptions(entries: readonly ChangelogEntry[]): MarkerChartOptions {
  return {
    series: [
      {
        id: MARKER_SERIES,
        name: MARKER_SERIES,
        type: 'line',
        data: [],
        color: MARKER_COLOR,
        markLine: {
          silent: true,
          symbol: ['none', 'none'],
          animation: false,
          lineStyle: { type: 'dashed', width: 1, color: MARKER_COLOR },
          label: { show: true, position: 'insideEndTop', formatter: '{b}', color: MARKER_COLOR },
          data: chartMarkers(entries),
        },
      },
    ],
  };
}
