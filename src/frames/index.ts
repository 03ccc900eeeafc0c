/**
 * Tidy rows ↔ table formats: CSV text and files, arquero tables, danfo data frames.
 * @module frames
 */
export type { Cell, Row, Rows } from './types';
export { columnsOf } from './columns';
export { toCsv, formatCsvField, type ToCsvOptions } from './to-csv';
export { parseCsv, splitCsv, typeCsvField, type ParseCsvOptions } from './parse-csv';
export { writeCsv } from './write-csv';
export { readCsv } from './read-csv';
export { loadArquero, importArquero, type ArqueroModule } from './load-arquero';
export { toArquero, fromArquero } from './to-arquero';
export { toDanfo, loadDanfo, DANFO_INSTALL_HELP, type DanfoModule } from './to-danfo';
export { groupBy } from './group-by';
