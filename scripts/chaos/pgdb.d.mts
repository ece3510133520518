/** Types of pgdb.mjs, for the TypeScript tests that read a PostgreSQL store the same way. */
export interface SyncStatement {
  readonly all: (...params: ReadonlyArray<unknown>) => Array<Record<string, unknown>>
  readonly get: (...params: ReadonlyArray<unknown>) => Record<string, unknown> | undefined
}
export declare const pgSyncDb: (url: string) => {
  readonly prepare: (text: string) => SyncStatement
  readonly pragma: (text: string) => unknown
  readonly close: () => void
}
