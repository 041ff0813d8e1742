// Exports: training history (CSV, JSON) and trained weights (JSON). Pure string in/out functions,
// so the extension, the CLI and the tests share them. The batch snapshot is Trainer.batchSnapshot().
export { historyToCsv, historyFromCsv } from './historyCsv';
export { historyToJson, parseHistoryJson, HISTORY_FORMAT, HISTORY_VERSION, type HistoryExport } from './historyJson';
export { weightsToJson, parseWeightsJson, WEIGHTS_FORMAT, WEIGHTS_VERSION, type WeightsFile } from './weights';
