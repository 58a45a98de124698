import type { DatabaseSync } from 'node:sqlite'
import type { ApiParsedRequest, ApiResponse } from '../../../shared/api.ts'
import { dayReport } from './day-report.ts'
import { reportToCsv, reportToCsvZip } from './export-csv.ts'
import { reportToText } from './export-text.ts'

// reports.export: a day's report as a file, the same for every backend that keeps a mail log.

export function exportDayReport(db: DatabaseSync, req: ApiParsedRequest<'reports.export'>): ApiResponse<'reports.export'> {
  const report = dayReport(db, req.date, req.top)
  if (req.format === 'csv-zip') return { filename: `smtp-report-${req.date}-csv.zip`, mimeType: 'application/zip', content: reportToCsvZip(report).toString('base64'), encoding: 'base64' as const }
  return req.format === 'csv'
    ? { filename: `smtp-report-${req.date}.csv`, mimeType: 'text/csv', content: reportToCsv(report) }
    : { filename: `smtp-report-${req.date}.txt`, mimeType: 'text/plain', content: reportToText(report) }
}
