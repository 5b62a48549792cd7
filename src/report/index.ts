import '../backend/gradients';
/**
 * `ltr-rnn/report`: what a run leaves for people — a self-contained HTML report of the learning
 * experiment ({@link renderReport}, {@link writeReport}: inline SVG figures, no script, no network),
 * a methods paragraph with BibTeX ({@link methodsText}, {@link BIBTEX}) for an experiment, a rank
 * cross-validation or a single ltrRNN fit, and the small SVG charts the report is drawn with
 * ({@link lineChart}, {@link barChart}, {@link smallMultiples}). See `docs/report.md`.
 * @module report
 */

export {
  /** A line (or scatter) chart as an `<svg>` string, with axes, legend, error bars, reference lines and marks. */
  lineChart,
  /** Grouped bars as an `<svg>` string. */
  barChart,
  /** A grid of line-chart panels under one title and legend, as one `<svg>` string. */
  smallMultiples,
  /** Spec schema of {@link lineChart}. */
  lineChartSpec,
  /** Spec schema of {@link barChart}. */
  barChartSpec,
  /** Spec schema of {@link smallMultiples}. */
  smallMultiplesSpec,
  /** Schema of one series of {@link lineChart}. */
  lineSeriesSchema,
  /** The series colours (Okabe–Ito, yellow left out). */
  PALETTE,
  /** The colour of each epoch of the learning experiment. */
  EPOCH_COLORS,
  /** Marker shapes of {@link lineChart}. */
  MARKERS,
  /** Input of {@link lineChartSpec}. */
  type LineChartSpec,
  /** Input of {@link barChartSpec}. */
  type BarChartSpec,
  /** Input of {@link smallMultiplesSpec}. */
  type SmallMultiplesSpec,
  /** One series of a line chart. */
  type LineSeries,
  /** A marker shape. */
  type Marker,
} from './svg';
export {
  /** The whole report as one self-contained HTML document. */
  renderReport,
  /** Options schema of {@link renderReport}. */
  renderReportOptions,
  /** The headline numbers of an experiment as label/value rows (what the demo prints). */
  reportSummary,
  /** What `results.json` holds: the result without the large host arrays. */
  resultsJSON,
  /** The `data-figure` ids of the report, in page order. */
  REPORT_FIGURES,
  /** Input of {@link renderReportOptions}. */
  type RenderReportOptions,
  /** One row of {@link reportSummary}. */
  type SummaryRow,
  /** A report figure id. */
  type ReportFigure,
} from './html';
export {
  /** Writes `index.html`, `results.json`, `methods.md`, `activity.npy` and `weights.npy` into a folder (Node only). */
  writeReport,
  /** The text of `methods.md`. */
  methodsMarkdown,
  /** The file names {@link writeReport} writes. */
  REPORT_FILES,
} from './files';
export {
  /** A methods paragraph (plain text) for an experiment, a cross-validation or a fit, optionally with BibTeX. */
  methodsText,
  /** Options schema of {@link methodsText}. */
  methodsTextOptions,
  /** BibTeX of this package and of the paper. */
  BIBTEX,
  /** Where the package is published (the BibTeX url). */
  PACKAGE_URL,
  /** Input of {@link methodsTextOptions}. */
  type MethodsTextOptions,
  /** What {@link methodsText} describes. */
  type MethodsSubject,
} from './methods';
export {
  /** Checks the fields of a learning-experiment result that the report reads. */
  checkExperimentResult,
} from './check';
