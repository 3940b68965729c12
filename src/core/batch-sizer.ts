/**
 * Batch size that tracks a time budget: a batch holds SQLite's single writer (and on PostgreSQL a transaction's
 * locks) only for about `targetMs`, however fast or slow the disk is, so other tenants' requests never wait long.
 */
export class BatchSizer {
  size: number
  constructor(
    private readonly targetMs: number,
    private readonly min = 50,
    private readonly max = 50_000,
    initial = 500,
  ) {
    this.size = initial
  }
  observe(elapsedMs: number, rows: number): void {
    if (rows < this.size) return // a short last batch says nothing about speed
    if (elapsedMs > this.targetMs * 1.25)
      this.size = Math.max(this.min, Math.floor(this.size * Math.max(0.25, this.targetMs / elapsedMs)))
    else if (elapsedMs < this.targetMs * 0.75)
      this.size = Math.min(
        this.max,
        Math.ceil(this.size * Math.min(2, this.targetMs / Math.max(elapsedMs, 0.1))),
      )
  }
}
