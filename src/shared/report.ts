// A day's report: the totals the console shows for Today's and Yesterday's Report.

export interface ReportTotals {
  /** Messages accepted into the queue. */
  received: number
  /** Deliveries: one per recipient a server accepted. */
  delivered: number
  /** Messages with at least one deferral. */
  deferred: number
  /** Deferral log rows: one per recipient and attempt. */
  deferrals: number
  /** Recipients refused for good (5xx). */
  bounced: number
  /** Recipients given up at the end of the queue lifetime. */
  expired: number
  /** Messages put on hold. */
  held: number
  /** Recipients removed from the queue by the administrator. */
  deleted: number
  bytesReceived: number
  /** Sum over deliveries: a message sent to three recipients counts three times, as in pflogsumm. */
  bytesDelivered: number
  senders: number
  /** Distinct addresses with an outcome (sent, deferred, bounced, expired). */
  recipients: number
  senderDomains: number
  recipientDomains: number
}

export interface CountAndBytes {
  key: string
  count: number
  bytes: number
}

/** One local clock hour. A DST day has 23 or 25 of them; a fall-back day has the repeated hour twice. */
export interface HourTraffic {
  /** Local hour at the start, 0-23. */
  hour: number
  /** Start and end, ms since the epoch. */
  start: number
  end: number
  /** Minutes east of UTC at the start: tells the two copies of a repeated hour apart. */
  utcOffsetMin: number
  received: number
  delivered: number
  deferred: number
  bounced: number
}

/** Delivery to one recipient domain (pflogsumm's Host/Domain Summary). */
export interface DomainDelivery {
  domain: string
  sent: number
  /** Bytes delivered, per recipient. */
  bytes: number
  /** Deferral rows. */
  defers: number
  /** Time from arrival to delivery, over sent rows. */
  avgDelayMs: number
  /** Longest time in the queue, over sent and deferred rows (as pflogsumm counts it). */
  maxDelayMs: number
}

export interface CauseCount {
  /** Decoder cause id; 'unknown' when none was recorded. */
  cause: string
  count: number
}

/** Failures with one decoded cause. */
export interface CauseGroup extends CauseCount {
  /** The decoder's words for the cause, and what to do about it. */
  summary: string
  fix: string
  /** One reply a server gave for this cause that day. */
  sample: string | null
  /** Affected recipient domains, most first. */
  domains: { domain: string; count: number }[]
}

export interface DomainProblems {
  domain: string
  count: number
  causes: CauseCount[]
}

export interface ProblemDetail {
  /** Log rows counted below. */
  total: number
  byCause: CauseGroup[]
  byDomain: DomainProblems[]
}

export interface ReportEvent {
  id: number
  at: number
  level: 'warning' | 'error'
  source: string
  message: string
}

export interface DayReport {
  date: string
  /** Local start and end of the day, ms since the epoch; 23 or 25 hours on a DST change. */
  from: number
  to: number
  totals: ReportTotals
  sendersByCount: CountAndBytes[]
  recipientsByCount: CountAndBytes[]
  /** Warnings and errors in the event log that day. */
  warnings: number
  errors: number
  /** How many entries each top list holds at most. */
  top: number
  hours: HourTraffic[]
  /** Top recipient domains by deliveries. */
  domains: DomainDelivery[]
  sendersBySize: CountAndBytes[]
  recipientsBySize: CountAndBytes[]
  /** Deferred rows, by cause and by domain. */
  deferralDetail: ProblemDetail
  /** Bounced and expired rows (mail that will not arrive), by cause and by domain. */
  bounceDetail: ProblemDetail
  /** The day's warnings and errors, the latest at most `eventLimit`, oldest first. */
  events: ReportEvent[]
  eventLimit: number
  /** The day before, with the same definitions, and each total's change (this day minus that one). */
  previous: { date: string; totals: ReportTotals }
  change: ReportTotals
}
