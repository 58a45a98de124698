// A day's report: the totals the console shows for Today's and Yesterday's Report.

export interface ReportTotals {
  received: number
  delivered: number
  deferred: number
  deferrals: number
  bounced: number
  expired: number
  held: number
  deleted: number
  bytesReceived: number
  bytesDelivered: number
  senders: number
  recipients: number
  senderDomains: number
  recipientDomains: number
}

export interface CountAndBytes {
  key: string
  count: number
  bytes: number
}

export interface DayReport {
  date: string
  /** Local start and end of the day, ms since the epoch; 23 or 25 hours on a DST change. */
  from: number
  to: number
  totals: ReportTotals
  sendersByCount: CountAndBytes[]
  recipientsByCount: CountAndBytes[]
  warnings: number
  errors: number
}
